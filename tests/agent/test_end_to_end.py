"""End to end, on the real livekit-server and the real control API.

A simulated candidate (real face photos on its camera, real speech on its microphone)
is interviewed by the offline interviewer, on a short plan (two questions, spoken fast,
short answers) so an interview takes well under a minute.

* Faces: once the agent has enrolled the candidate's face, the face becomes another
  person's, then a second face appears, then the face disappears. A hidden proctor must
  receive exactly those anomalies, each started and ended; the candidate must receive no
  proctoring message at all; the control API must hold the events (with snapshots), the
  transcript and the lifecycle in_progress -> completed.
* Conditions: the candidate mutes its camera, then its microphone, withdraws its camera
  track and publishes it again, and finally leaves: camera_off (twice), mic_off and
  candidate_left reach the proctor, started and ended, and nothing else does.
* Extra tracks: the candidate publishes a second camera (another person on it) and a
  second microphone. The agent keeps judging the first of each, raises extra_camera and
  extra_microphone while the extras exist, and names the judged track sids in its
  heartbeat and the evidence; when the first camera goes, the second becomes the judged
  one (its other face is then a face_mismatch).

The two interviews run side by side on one worker (as in production), which keeps the
wall time of the pair near that of one.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.settings import AgentSettings
from contracts.anomaly import AnomalyType
from proctorai.sim.candidate import CandidateScript, FaceCue, SimulatedCandidate
from proctorai.sim.media import (
    CANDIDATE_SPEAKER,
    face_path,
    frame_from_image,
    load_speech_48k,
    speaker_files,
)
from proctorai.sim.proctor import SimulatedProctor
from tests.agent.conftest import (
    RunningAPI,
    agent_settings,
    create_interview,
    open_link,
    running_worker,
)
from tests.support.livekit_server import TestLiveKitServer
from tests.support.served_api import stored_rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTIONS = 2
# Seconds after the agent has enrolled the face (the timeline is held until then).
FACE_SCRIPT = [
    FaceCue(0, "genuine"),
    FaceCue(3, "impostor"),  # face_mismatch: confirmed within ~1.5 s
    FaceCue(8, "genuine"),  # ends after 5 s of the enrolled face
    FaceCue(14, "two_people"),  # multiple_faces: confirmed within ~2 s
    FaceCue(19, "genuine"),  # ends after 4 s of one face
    FaceCue(24, "empty"),  # no_face: confirmed after ~7.5 s
    FaceCue(34, "genuine"),  # ends after 2 s
]
FACE_EXPECTED = {AnomalyType.FACE_MISMATCH, AnomalyType.MULTIPLE_FACES, AnomalyType.NO_FACE}
WAIT = 60.0  # generous bound for any one step on a loaded machine


def _frames() -> dict[str, bytes]:
    return {
        "genuine": frame_from_image(face_path("obama.jpg")),
        "impostor": frame_from_image(face_path("biden.jpg")),
        "two_people": frame_from_image(face_path("two_people.jpg")),
        "empty": frame_from_image(None),
    }


def _script(faces: list[FaceCue]) -> CandidateScript:
    return CandidateScript(
        frames=_frames(),
        faces=faces,
        speech=load_speech_48k(speaker_files(CANDIDATE_SPEAKER), gap_seconds=0.3),
        answer_seconds=6.0,
    )


def _settings(tmp_path: Path, api: RunningAPI, livekit: TestLiveKitServer) -> AgentSettings:
    return agent_settings(
        tmp_path,
        api,
        livekit,
        offline_words_per_minute=220,
        answer_end_silence=1.0,
        answer_timeout=6.0,
        candidate_gone_grace=13.0,  # longer than candidate_left's 10 s debounce
    )


@dataclass
class Joined:
    interview: dict[str, Any]
    proctor: SimulatedProctor
    candidate: SimulatedCandidate


async def _join(api: RunningAPI, faces: list[FaceCue]) -> Joined:
    """Create an interview; a hidden proctor joins, then the candidate (timeline held)."""
    interview = await create_interview(api, question_count=QUESTIONS, duration_minutes=5)
    proctor_session = await open_link(api, interview["proctor_link"])
    proctor = SimulatedProctor(proctor_session["livekit_url"], proctor_session["livekit_token"])
    await proctor.start()
    candidate_session = await open_link(api, interview["candidate_link"])
    candidate = SimulatedCandidate(
        candidate_session["livekit_url"], candidate_session["livekit_token"], _script(faces)
    )
    await candidate.start(begin_script=False)
    return Joined(interview, proctor, candidate)


async def _wait_completed(api: RunningAPI, interview_id: str, timeout: float) -> None:
    """The agent stores ``completed``; the API may move on to ``evaluated`` at once."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=api.url, timeout=10) as http:
        while True:
            response = await http.get(f"/interviews/{interview_id}", headers=api.recruiter)
            if response.json()["status"] in ("completed", "evaluated"):
                return
            assert time.monotonic() < deadline, "the interview did not complete"
            await asyncio.sleep(0.5)


def _stored(api: RunningAPI, interview_id: str) -> tuple[list[Any], list[Any], list[str]]:
    rows = stored_rows(api.app.state.engine, interview_id)
    return rows.events, rows.turns, [t.to_status for t in rows.transitions]


def _assert_lifecycle(statuses: list[str]) -> None:
    assert "in_progress" in statuses and "completed" in statuses
    assert statuses.index("in_progress") < statuses.index("completed")


async def _faces_scenario(api: RunningAPI) -> None:
    joined = await _join(api, FACE_SCRIPT)
    proctor, candidate, interview_id = joined.proctor, joined.candidate, joined.interview["id"]
    try:
        await proctor.wait_for_signal("face_mismatch", "clean", timeout=WAIT)  # enrolled
        candidate.begin_script()
        for anomaly in FACE_EXPECTED:
            await proctor.wait_for(anomaly.value, "ended", timeout=WAIT)
        await _wait_completed(api, interview_id, timeout=WAIT)
    finally:
        await candidate.stop()
        await proctor.stop()

    # The proctor received exactly the scripted anomalies, each started and ended once.
    received = Counter((r.event.type, r.event.state.value) for r in proctor.log.anomalies)
    assert received == Counter({(t, s): 1 for t in FACE_EXPECTED for s in ("started", "ended")})
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

    events, turns, statuses = _stored(api, interview_id)
    assert sorted(e.type for e in events) == sorted(t.value for t in FACE_EXPECTED)
    assert all(e.start_received and e.end_received and e.ended_at is not None for e in events)
    assert all(str(e.evidence.get("snapshot_url", "")).startswith("http") for e in events)
    # judged against the baseline the candidate recorded through the join link
    assert all(e.evidence["enrollment"] == "baseline" for e in events)
    interviewer = [t for t in turns if t.role == "interviewer"]
    answers = [t for t in turns if t.role == "candidate"]
    assert len(interviewer) == 1 + QUESTIONS + 1  # opening, the questions, closing
    assert len(answers) >= 1
    assert all(t.ended_at is not None and t.ended_at > t.started_at for t in answers)
    _assert_lifecycle(statuses)


async def _conditions_scenario(api: RunningAPI) -> None:
    joined = await _join(api, [FaceCue(0, "genuine")])
    proctor, candidate, interview_id = joined.proctor, joined.candidate, joined.interview["id"]
    try:
        await proctor.wait_for_signal("camera_off", "clean", timeout=WAIT)  # agent watching
        await candidate.mute_camera(True)
        await proctor.wait_count("camera_off", "started", 1, timeout=WAIT)
        await candidate.mute_camera(False)
        await proctor.wait_count("camera_off", "ended", 1, timeout=WAIT)

        await candidate.mute_microphone(True)
        await proctor.wait_count("mic_off", "started", 1, timeout=WAIT)
        await candidate.mute_microphone(False)
        await proctor.wait_count("mic_off", "ended", 1, timeout=WAIT)

        await candidate.unpublish_camera()
        await proctor.wait_count("camera_off", "started", 2, timeout=WAIT)
        await candidate.publish_camera()
        await proctor.wait_count("camera_off", "ended", 2, timeout=WAIT)

        left_at = time.time()
        await candidate.leave()
        await proctor.wait_count("candidate_left", "started", 1, timeout=WAIT)
        # the interviewer gives up after its grace period and the job closes the anomaly
        await proctor.wait_count("candidate_left", "ended", 1, timeout=WAIT)
        await _wait_completed(api, interview_id, timeout=WAIT)
    finally:
        await candidate.stop()
        await proctor.stop()

    received = Counter((r.event.type.value, r.event.state.value) for r in proctor.log.anomalies)
    assert received == Counter(
        {
            ("camera_off", "started"): 2,
            ("camera_off", "ended"): 2,
            ("mic_off", "started"): 1,
            ("mic_off", "ended"): 1,
            ("candidate_left", "started"): 1,
            ("candidate_left", "ended"): 1,
        }
    )
    left = proctor.started("candidate_left")[0].event
    assert left.started_at == pytest.approx(left_at, abs=2.0)  # when it began, not confirmed
    assert candidate.log.received == []

    events, _, statuses = _stored(api, interview_id)
    assert Counter(e.type for e in events) == Counter(
        {"camera_off": 2, "mic_off": 1, "candidate_left": 1}
    )
    assert all(e.start_received and e.end_received for e in events)
    _assert_lifecycle(statuses)


async def test_faces_and_conditions_reach_the_proctor_only(
    tmp_path: Path, control_api: RunningAPI, livekit_server: TestLiveKitServer
) -> None:
    settings = _settings(tmp_path, control_api, livekit_server)
    # one worker, both interviews at once; a failure in one cancels the other
    async with running_worker(settings), asyncio.TaskGroup() as group:
        group.create_task(_faces_scenario(control_api))
        group.create_task(_conditions_scenario(control_api))


async def _wait_stored(api: RunningAPI, interview_id: str, types: set[str]) -> list[Any]:
    """The stored events once every anomaly of ``types`` has its start and end."""
    deadline = time.monotonic() + WAIT
    while True:
        events, _, _ = _stored(api, interview_id)
        done = {e.type for e in events if e.start_received and e.end_received}
        if types <= done:
            return events
        assert time.monotonic() < deadline, f"stored: {sorted(done)}, wanted {sorted(types)}"
        await asyncio.sleep(0.5)


async def test_extra_camera_and_microphone_are_flagged_and_the_judged_tracks_named(
    tmp_path: Path, control_api: RunningAPI, livekit_server: TestLiveKitServer
) -> None:
    settings = _settings(tmp_path, control_api, livekit_server)
    async with running_worker(settings):
        joined = await _join(control_api, [FaceCue(0, "genuine")])
        proctor, candidate, interview_id = joined.proctor, joined.candidate, joined.interview["id"]
        try:
            await proctor.wait_for_signal("face_mismatch", "clean", timeout=WAIT)  # enrolled
            assert candidate.camera_track is not None and candidate.mic_track is not None
            first_camera, first_mic = candidate.camera_track.sid, candidate.mic_track.sid
            await proctor.wait_for_judged("camera", first_camera, timeout=WAIT)
            await proctor.wait_for_judged("microphone", first_mic, timeout=WAIT)

            # Another person on a second camera: flagged, and the first camera is still
            # the one judged (its enrolled face raises nothing).
            second_camera = await candidate.publish_extra_camera("impostor")
            extra = (await proctor.wait_for("extra_camera", "started", timeout=WAIT)).event
            assert extra.evidence["judged_track_sid"] == first_camera
            assert extra.evidence["extra_track_sids"] == [second_camera]
            later = await proctor.next_heartbeats(5, timeout=WAIT)
            assert all(b.judged.camera == first_camera for b in later)
            assert all(b.signals[AnomalyType.FACE_MISMATCH].value == "clean" for b in later)

            second_mic = await candidate.publish_extra_microphone()
            mic = (await proctor.wait_for("extra_microphone", "started", timeout=WAIT)).event
            assert mic.evidence["judged_track_sid"] == first_mic
            assert mic.evidence["extra_track_sids"] == [second_mic]
            await candidate.unpublish_extra_microphone()
            await proctor.wait_for("extra_microphone", "ended", timeout=WAIT)

            # The first camera goes: the second becomes the judged one, no longer extra,
            # and the person on it is not the enrolled candidate.
            await candidate.unpublish_camera()
            await proctor.wait_for("extra_camera", "ended", timeout=WAIT)
            await proctor.wait_for_judged("camera", second_camera, timeout=WAIT)
            mismatch = (await proctor.wait_for("face_mismatch", "started", timeout=WAIT)).event
            assert mismatch.evidence["track_sid"] == second_camera
            assert proctor.started("camera_off") == []
            await _wait_stored(control_api, interview_id, {"extra_camera", "extra_microphone"})
        finally:
            await candidate.stop()
            await proctor.stop()

    received = Counter((r.event.type.value, r.event.state.value) for r in proctor.log.anomalies)
    for kind in ("extra_camera", "extra_microphone"):
        assert received[(kind, "started")] == received[(kind, "ended")] == 1
    assert received[("face_mismatch", "started")] == 1
    assert proctor.log.invalid == 0 and proctor.log.other_topics == []
    assert candidate.log.received == []
