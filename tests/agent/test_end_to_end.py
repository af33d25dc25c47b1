"""End to end, on the real livekit-server and the real control API.

A simulated candidate (real face photos on its camera, real speech on its microphone)
is interviewed by the offline interviewer. Mid-interview its face becomes another
person's, then a second face appears, then the face disappears. A hidden proctor must
receive exactly those anomalies, each started and ended; the candidate must receive no
proctoring message at all; and the control API must hold the events (with snapshots)
and the transcript.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from control_api.models import LifecycleTransition, ProctoringEvent, TranscriptTurn
from proctoring.events import AnomalyType
from tests.agent.conftest import (
    RunningAPI,
    agent_settings,
    create_interview,
    open_link,
    running_worker,
)
from tests.livekit_server import TestLiveKitServer
from tests.sim.candidate import CandidateScript, FaceCue, SimulatedCandidate
from tests.sim.media import (
    CANDIDATE_SPEAKER,
    face_path,
    frame_from_image,
    load_speech_48k,
    speaker_files,
)
from tests.sim.proctor import SimulatedProctor

pytestmark = [pytest.mark.livekit, pytest.mark.slow]

SCRIPT = [
    FaceCue(0, "genuine"),
    FaceCue(18, "impostor"),
    FaceCue(32, "genuine"),
    FaceCue(46, "two_people"),
    FaceCue(58, "genuine"),
    FaceCue(70, "empty"),
    FaceCue(86, "genuine"),
]
EXPECTED = {AnomalyType.FACE_MISMATCH, AnomalyType.MULTIPLE_FACES, AnomalyType.NO_FACE}


def _script() -> CandidateScript:
    return CandidateScript(
        frames={
            "genuine": frame_from_image(face_path("obama.jpg")),
            "impostor": frame_from_image(face_path("biden.jpg")),
            "two_people": frame_from_image(face_path("two_people.jpg")),
            "empty": frame_from_image(None),
        },
        faces=SCRIPT,
        speech=load_speech_48k(speaker_files(CANDIDATE_SPEAKER), gap_seconds=0.3),
        answer_seconds=12.0,
    )


async def _status(api: RunningAPI, interview_id: str) -> str:
    async with httpx.AsyncClient(base_url=api.url, timeout=10) as http:
        response = await http.get(f"/interviews/{interview_id}", headers=api.recruiter)
    status: str = response.json()["status"]
    return status


async def test_impostor_second_face_and_no_face_reach_the_proctor_only(
    tmp_path: Path, control_api: RunningAPI, livekit_server: TestLiveKitServer
) -> None:
    settings = agent_settings(tmp_path, control_api, livekit_server)
    interview = await create_interview(control_api, question_count=4, duration_minutes=5)
    interview_id = interview["id"]

    async with running_worker(settings):
        proctor_session = await open_link(control_api, interview["proctor_link"])
        proctor = SimulatedProctor(proctor_session["livekit_url"], proctor_session["livekit_token"])
        await proctor.start()
        candidate_session = await open_link(control_api, interview["candidate_link"])
        candidate = SimulatedCandidate(
            candidate_session["livekit_url"], candidate_session["livekit_token"], _script()
        )
        await candidate.start()
        try:
            for anomaly in EXPECTED:
                await proctor.wait_for(anomaly.value, "ended", timeout=150)
            # the offline interview ends on its questions, or at worst on its 5-minute budget
            deadline = time.monotonic() + 330
            while await _status(control_api, interview_id) != "completed":
                assert time.monotonic() < deadline, "the interview did not complete"
                await asyncio.sleep(1)
        finally:
            await candidate.stop()
            await proctor.stop()

    # The proctor received exactly the scripted anomalies, each started and ended once.
    received = {(r.event.type, r.event.state.value) for r in proctor.log.anomalies}
    assert received == {(t, s) for t in EXPECTED for s in ("started", "ended")}
    assert len(proctor.log.anomalies) == 6
    assert proctor.log.invalid == 0 and proctor.log.other_topics == []
    assert len(proctor.log.heartbeats) >= 10
    # Each anomaly started after its scripted segment began (not before: no false alarm).
    switched = candidate.log.switched_at
    started = {r.event.type: r for r in proctor.log.anomalies if r.event.state.value == "started"}
    assert started[AnomalyType.FACE_MISMATCH].at > switched[1]
    assert started[AnomalyType.MULTIPLE_FACES].at > switched[3]
    assert started[AnomalyType.NO_FACE].at > switched[5]
    # The candidate received nothing at all.
    assert candidate.log.received == []

    with Session(control_api.app.state.engine) as session:
        events = session.exec(
            select(ProctoringEvent).where(ProctoringEvent.interview_id == interview_id)
        ).all()
        turns = session.exec(
            select(TranscriptTurn).where(TranscriptTurn.interview_id == interview_id)
        ).all()
        transitions = session.exec(
            select(LifecycleTransition).where(LifecycleTransition.interview_id == interview_id)
        ).all()
    assert {e.type for e in events} == {t.value for t in EXPECTED}
    assert len(events) == 3
    assert all(e.start_received and e.end_received and e.ended_at is not None for e in events)
    assert all(str(e.evidence.get("snapshot_url", "")).startswith("http") for e in events)
    assert all(e.evidence["enrollment"] == "live" for e in events)
    interviewer = [t for t in turns if t.role == "interviewer"]
    answers = [t for t in turns if t.role == "candidate"]
    assert len(interviewer) == 1 + 4 + 1  # opening, four questions, closing
    assert len(answers) >= 3
    assert all(t.ended_at is not None and t.ended_at > t.started_at for t in answers)
    assert [t.to_status for t in sorted(transitions, key=lambda t: t.at)][-2:] == [
        "in_progress",
        "completed",
    ]
