"""The job's waits end: on cancellation, on their own bound, and a resumed interview
continues instead of starting over. No network: the speaker, listener and records are
small stand-ins (the interviewer's logic is what is under test; espeak-ng is real).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from agent.api_client import ControlAPIClient
from agent.delivery import OutboxFlusher
from agent.interviewer.listener import AnswerTiming
from agent.interviewer.offline import RESUME_LINE, OfflineInterviewer, OfflineTiming
from agent.interviewer.plan import InterviewPlan, build_plan
from agent.interviewer.resume import Resume
from agent.job import InterviewSession
from agent.outbox import Outbox
from agent.records import InterviewRecords
from agent.settings import AgentSettings
from proctorai.resources import DEMO_DIR

DEMO = DEMO_DIR


def _plan(questions: int = 3) -> InterviewPlan:
    return build_plan(
        candidate_name="Jordan Example",
        resume_text=(DEMO / "resume.txt").read_text(),
        job_text=(DEMO / "job_description.txt").read_text(),
        question_count=questions,
        duration_minutes=10,
    )


class Speaker:
    async def say(self, samples: Any) -> tuple[float, float]:
        now = time.time()
        return now, now


class Listener:
    """Answers at once (or never, with ``answer=None``)."""

    def __init__(self, answer: AnswerTiming | None = None) -> None:
        self.answer = answer

    async def wait_for_answer(self, **kwargs: Any) -> AnswerTiming | None:
        return self.answer


class Records:
    interview_id = "bounded-waits"

    def __init__(self) -> None:
        self.said: list[str] = []
        self.changed = asyncio.Event()

    async def turn(self, role: str, text: str, *args: Any, **kwargs: Any) -> str:
        if role == "interviewer":
            self.said.append(text)
        self.changed.set()
        return "id"


def _interviewer(
    plan: InterviewPlan, records: Records, *, grace: float = 600.0, resume: Resume | None = None
) -> OfflineInterviewer:
    return OfflineInterviewer(
        plan,
        Speaker(),  # type: ignore[arg-type]
        Listener(),  # type: ignore[arg-type]
        records,  # type: ignore[arg-type]
        words_per_minute=400,
        timing=OfflineTiming(candidate_gone_grace=grace),
        resume=resume,
    )


async def test_absent_candidate_wait_ends_at_once_when_the_job_is_cancelled() -> None:
    records = Records()
    present = asyncio.Event()  # the candidate is gone, for longer than any test
    task = asyncio.create_task(_interviewer(_plan(), records).run(present))
    await asyncio.wait_for(records.changed.wait(), timeout=30)  # the opening is said
    await asyncio.sleep(0.2)  # now inside the wait for the candidate
    began = time.monotonic()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled()
    assert time.monotonic() - began < 1.0


async def test_absent_candidate_wait_is_bounded_by_the_grace() -> None:
    records = Records()
    began = time.monotonic()
    reason = await asyncio.wait_for(
        _interviewer(_plan(), records, grace=0.5).run(asyncio.Event()), timeout=30
    )
    assert reason == "candidate_left"
    assert time.monotonic() - began < 15


async def test_a_resumed_interview_skips_what_was_said() -> None:
    plan = _plan(3)
    records = Records()
    present = asyncio.Event()
    present.set()
    resume = Resume(said=frozenset({plan.opening, plan.questions[0].text}), started_at=time.time())
    reason = await asyncio.wait_for(
        _interviewer(plan, records, resume=resume).run(present), timeout=60
    )
    assert reason == "completed"
    assert records.said == [
        RESUME_LINE,
        plan.questions[1].text,
        plan.questions[2].text,
        plan.closing,
    ]


async def test_a_resumed_interview_keeps_its_time_budget() -> None:
    plan = _plan(3)
    records = Records()
    present = asyncio.Event()
    present.set()
    resume = Resume(said=frozenset({plan.opening}), started_at=time.time() - plan.duration_seconds)
    reason = await asyncio.wait_for(
        _interviewer(plan, records, resume=resume).run(present), timeout=60
    )
    assert reason == "time_up"
    assert records.said == [RESUME_LINE, plan.closing]


class HangingProctor:
    """A part whose close never returns (a room gone half-way, a stuck publish)."""

    def __init__(self) -> None:
        self.cancelled = False

    async def aclose(self) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


async def test_job_cleanup_is_bounded_when_a_part_hangs(tmp_path: Path) -> None:
    settings = AgentSettings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        api_base_url="http://127.0.0.1:9",  # nothing listens: nothing is sent anyway
        service_token="bounded-waits-service-token-0123456789",  # type: ignore[arg-type]
        livekit_api_secret="bounded-waits-livekit-secret-0123456789",  # type: ignore[arg-type]
        job_cleanup_timeout=0.5,
    )
    client = ControlAPIClient(settings.api_url, settings.secret("service_token"))
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    flusher = OutboxFlusher(outbox, client)
    flusher.start()
    session = InterviewSession(
        None,  # type: ignore[arg-type]  # cleanup never touches the job context
        settings,
        client,
        flusher,
        InterviewRecords(flusher, "bounded-waits"),
    )
    hanging = HangingProctor()
    session.proctor = hanging  # type: ignore[assignment]
    began = time.monotonic()
    await asyncio.wait_for(session.cleanup(), timeout=10)
    assert time.monotonic() - began < 3
    assert hanging.cancelled
    await session.cleanup()  # once only: a second call returns at once
