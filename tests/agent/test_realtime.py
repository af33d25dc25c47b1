"""The realtime interviewer through the real OpenAI plugin, against a local fake server.

The fake speaks the OpenAI Realtime WebSocket protocol (session update, audio in, server
VAD, transcription, responses with audio and transcript deltas). The agent joins a room
on the real livekit-server, a simulated candidate answers aloud, and both sides of the
conversation must reach the API as transcript turns; the interview ends on the plan's
closing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from livekit import api, rtc

from agent.api_client import ControlAPIClient
from agent.delivery import OutboxFlusher
from agent.interviewer.plan import build_plan
from agent.interviewer.realtime import RealtimeInterviewer
from agent.outbox import Outbox
from agent.records import InterviewRecords
from agent.settings import AgentSettings
from proctorai.private_servers import UvicornThread
from proctorai.sim.candidate import CandidateScript, FaceCue, SimulatedCandidate
from proctorai.sim.media import (
    CANDIDATE_SPEAKER,
    face_path,
    frame_from_image,
    load_speech_48k,
    speaker_files,
)
from proctorai.sim.tokens import candidate_token
from tests.agent.recorder_app import TOKEN, Recorded, build_recorder_app
from tests.fakes.openai_realtime import FakeRealtimeServer, RealtimeScript
from tests.support.livekit_server import TestLiveKitServer
from tests.support.rooms import create_room
from tests.support.served_api import serving

pytestmark = [pytest.mark.slow]

INTERVIEW = "rt-interview"
ROOM = f"interview-{INTERVIEW}"
ANSWERS = ["I led the rewrite of our signalling service.", "I profile first, then fix."]


@pytest.fixture
def recorded() -> Recorded:
    return Recorded()


@pytest.fixture
def api_server(recorded: Recorded) -> Iterator[UvicornThread]:
    with serving(build_recorder_app(recorded)) as server:
        yield server


def _agent_token(livekit: TestLiveKitServer) -> str:
    return (
        api.AccessToken(livekit.api_key, livekit.api_secret)
        .with_identity("agent-realtime-test")
        .with_kind("agent")
        .with_grants(api.VideoGrants(room_join=True, room=ROOM, agent=True))
        .to_jwt()
    )


async def test_realtime_interview_is_transcribed_on_both_sides(
    tmp_path: Path,
    livekit_server: TestLiveKitServer,
    api_server: UvicornThread,
    recorded: Recorded,
) -> None:
    plan = build_plan(
        candidate_name="Jordan Example",
        resume_text="- Led the rewrite of the signalling service in Python",
        job_text="- Design asynchronous Python services",
        question_count=2,
        duration_minutes=3,
    )
    script = RealtimeScript(
        assistant_replies=[plan.opening, plan.questions[0].text, plan.closing],
        user_transcripts=ANSWERS,
    )
    async with FakeRealtimeServer(script) as fake:
        settings = AgentSettings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path,
            openai_api_key="test-key",  # type: ignore[arg-type]
            openai_base_url=fake.base_url,
            service_token="unused",  # type: ignore[arg-type]
            livekit_api_secret=livekit_server.api_secret,  # type: ignore[arg-type]
        )
        assert settings.realtime_enabled
        client = ControlAPIClient(api_server.url, TOKEN)
        flusher = OutboxFlusher(Outbox(tmp_path / "outbox.sqlite3"), client, idle_poll=0.2)
        flusher.start()
        records = InterviewRecords(flusher, INTERVIEW)

        room = rtc.Room()
        await create_room(livekit_server, ROOM)
        await room.connect(livekit_server.url, _agent_token(livekit_server))
        candidate = SimulatedCandidate(
            livekit_server.url,
            candidate_token(livekit_server.api_key, livekit_server.api_secret, ROOM, INTERVIEW),
            CandidateScript(
                frames={"genuine": frame_from_image(face_path("obama.jpg"))},
                faces=[FaceCue(0, "genuine")],
                speech=load_speech_48k(speaker_files(CANDIDATE_SPEAKER)),
                answer_seconds=3.0,
            ),
        )
        await candidate.start()
        present = asyncio.Event()
        present.set()
        interviewer = RealtimeInterviewer(room, plan, records, settings)
        began = time.monotonic()
        try:
            reason = await interviewer.run(candidate.room.local_participant.identity, present)
        finally:
            await candidate.stop()
            await room.disconnect()
        elapsed = time.monotonic() - began
        assert await flusher.drain(timeout=10)
        await flusher.aclose()
        flusher.outbox.close()
        await client.aclose()

    assert reason == "completed"
    assert elapsed < plan.duration_seconds  # it ended on the closing, not on the clock
    # the session was configured from the plan, with input transcription on
    assert plan.questions[0].text in fake.session_instructions[0]
    transcription = [
        e["session"]["audio"]["input"]["transcription"]
        for e in fake.client_events_of_type("session.update")
        if "transcription" in e["session"].get("audio", {}).get("input", {})
    ]
    assert transcription[0]["model"] == "gpt-4o-mini-transcribe"
    turns = sorted(recorded.turns.values(), key=lambda t: t["started_at"])
    interviewer_lines = [t["text"] for t in turns if t["role"] == "interviewer"]
    candidate_lines = [t["text"] for t in turns if t["role"] == "candidate"]
    assert interviewer_lines == [plan.opening, plan.questions[0].text, plan.closing]
    assert candidate_lines == ANSWERS
    assert all(t["ended_at"] >= t["started_at"] for t in turns)
