"""The public HTTP calls of the demo, exactly as a recruiter's client and the candidate's
page make them (never the database directly): create the interview, record the baseline
behind the join link, open the links (which dispatches the interviewer agent), follow
the status, read the report.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from proctorai.demo.form import interview_form
from proctorai.demo.inputs import InputError


class DemoError(RuntimeError):
    """The demo cannot go on; the message is the one line shown to the person."""


def link_token(link: str) -> str:
    """The token at the end of a join or proctor link."""
    return link.rstrip("/").rsplit("/", 1)[1]


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body)
    return str(body)


class DemoAPI:
    """A small client of the control API for one demo run."""

    def __init__(self, base_url: str, recruiter_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._recruiter = {"Authorization": f"Bearer {recruiter_key}"}
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=60)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def create_interview(
        self, sample_dir: Path, *, question_count: int, duration_minutes: int
    ) -> dict[str, Any]:
        """POST /interviews with the sample resume and job description (as a file)."""
        data, files = interview_form(
            title="Senior Backend Engineer (demo)",
            duration_minutes=duration_minutes,
            question_count=question_count,
            sensitivity="standard",
            job_description=None,
            resume=("resume.txt", (sample_dir / "resume.txt").read_bytes(), "text/plain"),
            job_description_file=(
                "job_description.txt",
                (sample_dir / "job_description.txt").read_bytes(),
                "text/plain",
            ),
        )
        response = await self._http.post(
            "/interviews", headers=self._recruiter, data=data, files=files
        )
        if response.status_code in (401, 403):
            raise DemoError(
                "the control API refused the recruiter key: run the demo with the same "
                "DATA_DIR (or RECRUITER_API_KEY) as the running stack"
            )
        if response.status_code != 201:
            raise DemoError(
                f"creating the interview failed ({response.status_code}): {_detail(response)}"
            )
        body: dict[str, Any] = response.json()
        return body

    async def baseline_face(self, link: str, photos: list[bytes]) -> None:
        """The candidate's baseline pictures; a refusal is an input problem."""
        files = [("photos", (f"photo-{i}.jpg", p, "image/jpeg")) for i, p in enumerate(photos)]
        response = await self._http.post(f"/links/{link_token(link)}/baseline/face", files=files)
        self._baseline_answer(response, "--face")

    async def baseline_voice(self, link: str, wav: bytes) -> None:
        """The candidate's baseline reading; a refusal is an input problem."""
        files = {"audio": ("reading.wav", wav, "audio/wav")}
        response = await self._http.post(f"/links/{link_token(link)}/baseline/voice", files=files)
        self._baseline_answer(response, "--voice")

    @staticmethod
    def _baseline_answer(response: httpx.Response, option: str) -> None:
        if response.status_code == 200:
            return
        if response.status_code in (415, 422):
            raise InputError(f"{option}: the baseline was refused: {_detail(response)}")
        raise DemoError(
            f"recording the baseline failed ({response.status_code}): {_detail(response)}"
        )

    async def open_link(self, link: str) -> dict[str, Any]:
        """What the join or proctor page does first: the link for a LiveKit token."""
        response = await self._http.post(f"/links/{link_token(link)}/session")
        if response.status_code != 200:
            raise DemoError(
                f"opening the link failed ({response.status_code}): {_detail(response)}"
            )
        body: dict[str, Any] = response.json()
        return body

    async def status(self, interview_id: str) -> str:
        response = await self._http.get(f"/interviews/{interview_id}", headers=self._recruiter)
        response.raise_for_status()
        return str(response.json()["status"])

    async def wait_status(self, interview_id: str, wanted: frozenset[str], timeout: float) -> str:
        """Poll the interview until its status is one of ``wanted``; the status reached."""
        deadline = time.monotonic() + timeout
        while True:
            current = await self.status(interview_id)
            if current in wanted:
                return current
            if time.monotonic() > deadline:
                raise DemoError(
                    f"the interview is still {current} after {timeout:.0f} s "
                    f"(waiting for {' or '.join(sorted(wanted))})"
                )
            await asyncio.sleep(1.0)

    def report_url(self, interview_id: str) -> str:
        return f"{self.base_url}/interviews/{interview_id}/report.html"

    async def report(self, interview_id: str) -> dict[str, Any]:
        response = await self._http.get(
            f"/interviews/{interview_id}/report", headers=self._recruiter
        )
        if response.status_code != 200:
            raise DemoError(
                f"reading the report failed ({response.status_code}): {_detail(response)}"
            )
        body: dict[str, Any] = response.json()
        return body

    async def report_html(self, interview_id: str) -> bytes:
        """The report page at :meth:`report_url` (it needs the recruiter key)."""
        response = await self._http.get(self.report_url(interview_id), headers=self._recruiter)
        if response.status_code != 200:
            raise DemoError(f"the report page answered {response.status_code}")
        return response.content
