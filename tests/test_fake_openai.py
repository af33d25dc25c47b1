"""The fake OpenAI servers drive the real client libraries end to end.

These tests prove the fakes are faithful enough to stand in for OpenAI: the
real ``openai`` client parses structured outputs from the chat fake and
retries its errors, and the real ``livekit-plugins-openai`` realtime session
receives speech and transcripts from the realtime fake, has its user turns
detected and transcribed, is interrupted, and reconnects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterable
from dataclasses import dataclass, field

import numpy as np
import openai
import pytest
from livekit import rtc
from livekit.agents import Agent, AgentSession, ConversationItemAddedEvent, llm
from livekit.plugins.openai.realtime import RealtimeModel, RealtimeSession
from openai.types import realtime
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ConfigDict, ValidationError
from scipy.signal import resample_poly

from tests.fakes.openai_chat import ChatError, FakeChatServer
from tests.fakes.openai_realtime import (
    SAMPLE_RATE,
    FakeRealtimeServer,
    RealtimeScript,
    pcm16_dbfs,
    synthesize_speech,
)

# -- Chat Completions -----------------------------------------------------------------


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quote: str
    at_seconds: float


class CompetencyScore(BaseModel):
    model_config = ConfigDict(extra="forbid")
    competency: str
    score: int
    evidence: list[Evidence]


RUBRIC_ANSWER = {
    "competency": "Data engineering",
    "score": 4,
    "evidence": [{"quote": "I built a Kafka pipeline", "at_seconds": 12.5}],
}
TRANSCRIPT_PROMPT = "Candidate at 12.5 s: I built a Kafka pipeline that handled a million events."


def _rubric_request(client: openai.OpenAI) -> CompetencyScore | None:
    completion = client.chat.completions.parse(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Score the competency from the transcript."},
            {"role": "user", "content": TRANSCRIPT_PROMPT},
        ],
        response_format=CompetencyScore,
    )
    return completion.choices[0].message.parsed


def test_structured_output_survives_a_server_error() -> None:
    with FakeChatServer([ChatError(500), json.dumps(RUBRIC_ANSWER)]) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=2)
        parsed = _rubric_request(client)

    assert parsed == CompetencyScore.model_validate(RUBRIC_ANSWER)
    assert [r.status for r in server.requests] == [500, 200]
    served = server.completed_requests[0]
    assert served.headers["Authorization"] == "Bearer test"
    assert served.json_schema is not None
    assert served.json_schema["name"] == "CompetencyScore"
    assert served.json_schema["strict"] is True
    assert served.messages[1]["content"] == TRANSCRIPT_PROMPT
    assert server.remaining == 0


def test_invalid_answer_fails_parsing_and_the_retry_gets_the_valid_one() -> None:
    truncated = json.dumps(RUBRIC_ANSWER)[:40]
    with FakeChatServer([truncated, json.dumps(RUBRIC_ANSWER)]) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        with pytest.raises(ValidationError):
            _rubric_request(client)
        parsed = _rubric_request(client)

    assert parsed is not None
    assert parsed.evidence[0].quote == "I built a Kafka pipeline"
    assert [r.status for r in server.requests] == [200, 200]


async def test_async_client_retries_rate_limits_on_the_callers_loop() -> None:
    limited = ChatError(429, "Rate limit reached.", type="requests", code="rate_limit_exceeded")
    async with FakeChatServer([limited, limited, "plain answer"]) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=2)
        completion = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Say something."}]
        )
        await client.close()

    assert completion.choices[0].message.content == "plain answer"
    assert completion.usage is not None and completion.usage.completion_tokens == 2
    assert [r.status for r in server.requests] == [429, 429, 200]


def test_a_schema_strict_mode_would_refuse_is_rejected_without_consuming_the_script() -> None:
    loose_schema: dict[str, object] = {
        "type": "object",
        "properties": {"score": {"type": "integer"}, "note": {"type": "string"}},
        "required": ["score"],
    }
    response_format: ResponseFormatJSONSchema = {
        "type": "json_schema",
        "json_schema": {"name": "Loose", "strict": True, "schema": loose_schema},
    }
    with FakeChatServer(['{"score": 3}']) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=2)
        with pytest.raises(openai.BadRequestError) as excinfo:
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "Score it."}],
                response_format=response_format,
            )

    message = str(excinfo.value)
    assert "additionalProperties" in message
    assert "note" in message
    assert len(server.requests) == 1  # 400 is not retried
    assert server.remaining == 1


# -- Realtime -------------------------------------------------------------------------

RESUME_INSTRUCTIONS = (
    "You are interviewing Ada Lovelace for a data engineer role. "
    "Resume: five years of Python and Kafka at Acme."
)
GREETING = "Hello Ada, thanks for joining. Tell me about your work at Acme."
FOLLOW_UP = "How did you make the Kafka pipeline reliable?"
CANDIDATE_ANSWER = "I built a Kafka pipeline that handled a million events a day."


@dataclass
class ReceivedMessage:
    """What the plugin delivered for one assistant message."""

    text: str
    frames: list[rtc.AudioFrame]
    modalities: list[str]

    @property
    def pcm(self) -> bytes:
        return b"".join(bytes(f.data) for f in self.frames)


@dataclass
class SessionEvents:
    """Plugin events gathered from a realtime session."""

    generations: list[llm.GenerationCreatedEvent] = field(default_factory=list)
    transcripts: list[llm.InputTranscriptionCompleted] = field(default_factory=list)
    speech_started: int = 0
    errors: list[llm.RealtimeModelError] = field(default_factory=list)
    reconnected: int = 0

    def final_transcripts(self) -> list[str]:
        return [t.transcript for t in self.transcripts if t.is_final]


async def _collect_text(stream: AsyncIterable[str]) -> str:
    return "".join([delta async for delta in stream])


async def _collect_frames(stream: AsyncIterable[rtc.AudioFrame]) -> list[rtc.AudioFrame]:
    return [frame async for frame in stream]


async def _receive(generation: llm.GenerationCreatedEvent) -> list[ReceivedMessage]:
    """Drain a generation the way the agent's playout would: text and audio concurrently."""
    received: list[ReceivedMessage] = []
    async for message in generation.message_stream:
        text, frames = await asyncio.gather(
            _collect_text(message.text_stream), _collect_frames(message.audio_stream)
        )
        received.append(ReceivedMessage(text, frames, list(await message.modalities)))
    return received


def _server_vad(silence_ms: int = 600) -> realtime.realtime_audio_input_turn_detection.ServerVad:
    return realtime.realtime_audio_input_turn_detection.ServerVad(
        type="server_vad",
        silence_duration_ms=silence_ms,
        create_response=True,
        interrupt_response=True,
    )


def _open_session(
    server: FakeRealtimeServer,
) -> tuple[RealtimeModel, RealtimeSession, SessionEvents]:
    model = RealtimeModel(
        base_url=server.base_url,
        api_key="test",
        model="gpt-realtime",
        voice="marin",
        turn_detection=_server_vad(),
    )
    session = model.session()
    events = SessionEvents()
    session.on("generation_created", events.generations.append)
    session.on("input_audio_transcription_completed", events.transcripts.append)
    session.on("error", events.errors.append)

    def _speech_started(_: llm.InputSpeechStartedEvent) -> None:
        events.speech_started += 1

    def _reconnected(_: llm.RealtimeSessionReconnectedEvent) -> None:
        events.reconnected += 1

    session.on("input_speech_started", _speech_started)
    session.on("session_reconnected", _reconnected)
    return model, session, events


async def _close(model: RealtimeModel, session: RealtimeSession) -> None:
    await session.aclose()
    await model.aclose()


async def _candidate_speech_48k(text: str, *, lead_s: float, tail_s: float) -> np.ndarray:
    """The candidate's voice as a LiveKit room delivers it: int16 mono at 48 kHz."""
    speech = np.frombuffer(await synthesize_speech(text, voice="en-gb"), dtype="<i2")
    at_48k = resample_poly(speech.astype(np.float32), 2, 1).clip(-32768, 32767).astype(np.int16)
    return np.concatenate(
        [np.zeros(int(lead_s * 48000), np.int16), at_48k, np.zeros(int(tail_s * 48000), np.int16)]
    )


async def _push_realtime(session: RealtimeSession, samples: np.ndarray) -> None:
    """Push 10 ms frames at the pace of a live microphone (a little faster, to keep tests short)."""
    per_frame = 480
    for start in range(0, len(samples) - per_frame + 1, per_frame):
        frame = samples[start : start + per_frame]
        session.push_audio(rtc.AudioFrame(frame.tobytes(), 48000, 1, per_frame))
        if start % (per_frame * 10) == 0:
            await asyncio.sleep(0.02)


async def test_generate_reply_streams_scripted_speech_and_transcript() -> None:
    script = RealtimeScript(assistant_replies=[GREETING])
    async with FakeRealtimeServer(script) as server:
        model, session, events = _open_session(server)
        try:
            await session.update_instructions(RESUME_INSTRUCTIONS)
            generation = await asyncio.wait_for(
                session.generate_reply(instructions="Greet the candidate by name."), timeout=10
            )
            messages = await asyncio.wait_for(_receive(generation), timeout=10)
        finally:
            await _close(model, session)

    assert generation.user_initiated
    assert len(messages) == 1
    message = messages[0]
    assert message.text == GREETING
    assert message.modalities == ["audio", "text"]
    assert all(f.sample_rate == SAMPLE_RATE and f.num_channels == 1 for f in message.frames)
    assert message.pcm == server.responses[0].audio
    assert len(message.pcm) / 2 / SAMPLE_RATE > 2.0  # a spoken sentence, not a blip
    assert pcm16_dbfs(message.pcm) > -35.0

    assert server.connections[0].model == "gpt-realtime"
    assert server.connections[0].authorization == "Bearer test"
    assert RESUME_INSTRUCTIONS in server.session_instructions
    first_update = server.client_events_of_type("session.update")[0]["session"]
    assert first_update["audio"]["output"]["voice"] == "marin"
    assert first_update["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    create = server.client_events_of_type("response.create")[0]["response"]
    assert create["instructions"] == f"{RESUME_INSTRUCTIONS}\nGreet the candidate by name."
    assert server.responses[0].instructions == create["instructions"]
    assert server.responses[0].status == "completed"
    assert events.errors == []
    assert server.invalid_client_events == []
    assert server.internal_errors == []


async def test_candidate_turn_is_detected_transcribed_and_answered() -> None:
    script = RealtimeScript(assistant_replies=[FOLLOW_UP], user_transcripts=[CANDIDATE_ANSWER])
    async with FakeRealtimeServer(script) as server:
        model, session, events = _open_session(server)
        try:
            await session.update_instructions(RESUME_INSTRUCTIONS)
            speech = await _candidate_speech_48k(CANDIDATE_ANSWER, lead_s=0.5, tail_s=1.2)
            await _push_realtime(session, speech)
            await server.wait_for(lambda: len(events.generations) == 1, timeout=10)
            messages = await asyncio.wait_for(_receive(events.generations[0]), timeout=10)
        finally:
            await _close(model, session)

    assert events.speech_started == 1
    assert events.final_transcripts() == [CANDIDATE_ANSWER]
    assert not events.generations[0].user_initiated  # created by server turn detection
    assert [m.text for m in messages] == [FOLLOW_UP]
    assert pcm16_dbfs(messages[0].pcm) > -35.0

    turn = server.user_turns[0]
    assert turn.trigger == "server_vad"
    assert turn.transcript == CANDIDATE_ANSWER
    spoken_s = (len(speech) / 48000) - 0.5 - 1.2
    # the committed turn holds the speech plus VAD padding, resampled 48 -> 24 kHz by the plugin
    assert spoken_s < turn.duration_s < spoken_s + 1.2
    assert pcm16_dbfs(turn.audio) > -40.0
    assert server.responses[0].trigger == "turn_detection"


async def test_candidate_speech_interrupts_a_reply_in_progress() -> None:
    script = RealtimeScript(
        assistant_replies=[GREETING * 2, FOLLOW_UP],
        user_transcripts=["Sorry, can I ask something?"],
        audio_speed=1.0,
    )
    async with FakeRealtimeServer(script) as server:
        model, session, events = _open_session(server)
        try:
            generation = await asyncio.wait_for(session.generate_reply(), timeout=10)
            receiving = asyncio.create_task(_receive(generation))
            await server.wait_for(
                lambda: len(server.server_events_of_type("response.output_audio.delta")) >= 5
            )
            speech = await _candidate_speech_48k("Sorry, can I ask something?", lead_s=0, tail_s=1)
            await _push_realtime(session, speech)
            interrupted = await asyncio.wait_for(receiving, timeout=10)
            await server.wait_for(lambda: len(server.responses) == 2, timeout=10)
        finally:
            await _close(model, session)

    first = server.responses[0]
    assert first.status == "cancelled"
    done = server.server_events_of_type("response.done")[0]["response"]
    assert done["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
    full_reply = GREETING * 2
    assert interrupted[0].text == first.text
    assert 0 < len(first.text) < len(full_reply)
    assert full_reply.startswith(first.text)
    assert events.final_transcripts() == ["Sorry, can I ask something?"]


async def test_dropped_connection_is_restored_with_the_instructions() -> None:
    script = RealtimeScript(assistant_replies=[GREETING])
    async with FakeRealtimeServer(script) as server:
        model, session, events = _open_session(server)
        try:
            await session.update_instructions(RESUME_INSTRUCTIONS)
            await server.wait_for_client_event("session.update", count=2)
            await server.drop_connections()
            await server.wait_for(lambda: events.reconnected == 1, timeout=10)
            generation = await asyncio.wait_for(session.generate_reply(), timeout=10)
            messages = await asyncio.wait_for(_receive(generation), timeout=10)
        finally:
            await _close(model, session)

    assert len(server.connections) == 2
    replayed = server.client_events_of_type("session.update")[2]["session"]
    assert replayed["instructions"] == RESUME_INSTRUCTIONS
    assert [m.text for m in messages] == [GREETING]
    assert any(e.recoverable for e in events.errors)  # the drop surfaced as recoverable


async def test_malformed_client_event_is_answered_with_an_error() -> None:
    async with FakeRealtimeServer() as server:
        model, session, events = _open_session(server)
        try:
            session.send_event({"type": "conversation.item.truncate", "item_id": "x"})
            await server.wait_for(lambda: len(events.errors) == 1, timeout=10)
        finally:
            await _close(model, session)

    assert events.errors[0].recoverable
    assert server.invalid_client_events == [{"type": "conversation.item.truncate", "item_id": "x"}]
    error = server.server_events_of_type("error")[0]["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] in ("audio_end_ms", "content_index")


async def test_agent_session_greets_the_candidate_through_the_fake() -> None:
    script = RealtimeScript(assistant_replies=[GREETING])
    async with FakeRealtimeServer(script) as server:
        model = RealtimeModel(
            base_url=server.base_url, api_key="test", model="gpt-realtime", voice="marin"
        )
        session: AgentSession[None] = AgentSession(
            llm=model, vad=None, turn_handling={"turn_detection": "realtime_llm"}
        )
        said: list[str | None] = []

        def _added(ev: ConversationItemAddedEvent) -> None:
            # handoff items come through this event too; only messages have a role
            if ev.item.type == "message" and ev.item.role == "assistant":
                said.append(ev.item.text_content)

        session.on("conversation_item_added", _added)
        try:
            await session.start(agent=Agent(instructions=RESUME_INSTRUCTIONS))
            handle = session.generate_reply(instructions="Greet the candidate by name.")
            await asyncio.wait_for(handle.wait_for_playout(), timeout=15)
        finally:
            await session.aclose()
            await model.aclose()

    assert said == [GREETING]
    assert server.session_instructions[0] == RESUME_INSTRUCTIONS
    assert server.responses[0].instructions == (
        f"{RESUME_INSTRUCTIONS}\nGreet the candidate by name."
    )
    assert server.responses[0].status == "completed"
