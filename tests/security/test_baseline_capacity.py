"""Baseline checks share a few engine workers: a burst of uploads cannot run them all.

With one worker and one waiting place, a face baseline that is being checked holds the
worker; of three more uploads (two face, one voice: the voice check runs on the same
workers) one waits its turn and the other two are refused at once with 503,
``Retry-After`` and words the candidate's page can show, storing nothing. The engines
are the real ones; a spy around them counts how many run at once and holds the first
check open until the refusals are back, so the overlap is certain instead of a race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from control_api.enrollment.models import BiometricEnrollment
from control_api.models import FileKind, StoredFile
from proctoring import face, voice
from tests.api.conftest import Api
from tests.security.credentials import assert_refusal, token_of
from tests.support.face_images import FACES

HOLD_SECONDS = 15.0  # how long the first check is held at most (the fix needs far less)
PHOTOS = ("obama.jpg", "obama2.jpg", "obama3.jpg")
SPEECH = Path(__file__).resolve().parents[1] / "data" / "voices" / "librispeech"


class EngineSpy:
    """Wraps the real engines: counts the checks running at once, holds the first."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.first_started = threading.Event()
        self._lock = threading.Lock()
        self._running = 0
        self.peak = 0
        self.calls = 0

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def spied(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self._running += 1
                self.calls += 1
                self.peak = max(self.peak, self._running)
                first = self.calls == 1
            try:
                if first:
                    self.first_started.set()
                    self.release.wait(HOLD_SECONDS)
                return real(*args, **kwargs)
            finally:
                with self._lock:
                    self._running -= 1

        return spied


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> EngineSpy:
    engines = EngineSpy()
    monkeypatch.setattr(face, "enroll", engines.wrap(face.enroll))
    monkeypatch.setattr(voice, "enroll_voice", engines.wrap(voice.enroll_voice))
    return engines


@contextmanager
def _parallel() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as pool:
        yield pool


def _face(api: Api, token: str) -> Any:
    files = [("photos", (n, (FACES / n).read_bytes(), "image/jpeg")) for n in PHOTOS]
    return api.client.post(f"/links/{token}/baseline/face", files=files)


def _voice(api: Api, token: str) -> Any:
    audio = (SPEECH / "1688-142285-0000.flac").read_bytes()
    files = {"audio": ("reading.flac", audio, "audio/flac")}
    return api.client.post(f"/links/{token}/baseline/voice", files=files)


def _stored_for(api: Api, interview_id: str) -> tuple[int, int]:
    """(baseline photos, enrollments) kept for one interview."""
    with Session(api.engine) as session:
        photos = session.exec(
            select(StoredFile).where(
                StoredFile.interview_id == interview_id,
                StoredFile.kind == FileKind.BASELINE_IMAGE.value,
            )
        ).all()
        enrolled = session.exec(
            select(BiometricEnrollment).where(BiometricEnrollment.interview_id == interview_id)
        ).all()
    return len(photos), len(enrolled)


def test_one_worker_one_waiting_place_refuses_the_rest(
    api_factory: Callable[..., Api], spy: EngineSpy
) -> None:
    api = api_factory(baseline_workers=1, baseline_waiting=1)
    interviews = [api.create_ok(reference_photo=None) for _ in range(4)]
    tokens = [token_of(body["candidate_link"]) for body in interviews]
    with _parallel() as pool:
        first = pool.submit(_face, api, tokens[0])
        assert spy.first_started.wait(HOLD_SECONDS), "the first check never started"
        others: list[Future[Any]] = [
            pool.submit(_face, api, tokens[1]),
            pool.submit(_face, api, tokens[2]),
            pool.submit(_voice, api, tokens[3]),
        ]
        # Two of the three must come back (refused) while the first is still held.
        waited = 0.0
        while sum(f.done() for f in others) < 2 and waited < HOLD_SECONDS:
            wait(others, timeout=0.05)
            waited += 0.05
        refused_while_held = sum(f.done() for f in others)
        spy.release.set()
        answers = [first.result(), *(f.result() for f in others)]
    statuses = [a.status_code for a in answers]
    print(f"statuses {statuses}, engines at once {spy.peak}")
    assert spy.peak == 1, f"{spy.peak} baseline checks ran at once (the cap is 1)"
    assert refused_while_held == 2, statuses
    assert sorted(statuses) == [200, 200, 503, 503], statuses
    for answer, body in zip(answers, interviews, strict=True):
        if answer.status_code == 503:
            detail = assert_refusal(answer, 503)
            assert "busy" in detail and "try again in a few seconds" in detail, detail
            assert int(answer.headers["Retry-After"]) > 0
            assert _stored_for(api, body["id"]) == (0, 0)
        else:
            assert answer.json()["accepted"] is True, answer.text
            assert _stored_for(api, body["id"]) in {(3, 1), (0, 1)}  # face or voice
    assert statuses[0] == 200  # the held check itself completed


def test_a_check_in_progress_does_not_stall_the_rest_of_the_api(
    api_factory: Callable[..., Api], spy: EngineSpy
) -> None:
    """The recruiter's pages answer while a candidate's photos are being checked (on
    SQLite the request used to hold the database's write lock for the whole check)."""
    api = api_factory()
    body = api.create_ok(reference_photo=None)
    with _parallel() as pool:
        baseline = pool.submit(_face, api, token_of(body["candidate_link"]))
        assert spy.first_started.wait(HOLD_SECONDS), "the check never started"
        detail = pool.submit(api.client.get, f"/interviews/{body['id']}", headers=api.recruiter)
        wait([detail], timeout=5.0)
        answered_while_held = detail.done()
        spy.release.set()
        assert baseline.result().status_code == 200
    assert answered_while_held, "the interview's page waited for the baseline check"
    assert detail.result().status_code == 200


def test_an_interview_cancelled_during_the_check_keeps_no_baseline(
    api_factory: Callable[..., Api], spy: EngineSpy
) -> None:
    api = api_factory()
    body = api.create_ok(reference_photo=None)
    files_before = api.stored_files()
    with _parallel() as pool:
        baseline = pool.submit(_face, api, token_of(body["candidate_link"]))
        assert spy.first_started.wait(HOLD_SECONDS), "the check never started"
        cancel = pool.submit(
            api.client.post, f"/interviews/{body['id']}/cancel", headers=api.recruiter
        )
        wait([cancel], timeout=5.0)
        spy.release.set()
        answer = baseline.result()
    assert cancel.result().status_code == 200, cancel.result().text
    assert assert_refusal(answer, 409) == "this interview is over"
    assert _stored_for(api, body["id"]) == (0, 0)
    assert api.stored_files() == files_before  # the photos written were removed
