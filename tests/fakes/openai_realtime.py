"""A local stand-in for the OpenAI Realtime API (GA WebSocket protocol).

OpenAI cannot be reached from the test machines, so the realtime interviewer
is tested with the real ``livekit-plugins-openai`` client against this server.
It speaks the GA event names the plugin uses (``conversation.item.added``,
``response.output_audio.delta``, ``response.output_audio_transcript.delta``...)
and checks every client event against the ``openai`` package's own wire
types, answering invalid ones with an ``error`` event as OpenAI does.

What it does with no model behind it:

- Voice activity: appended input audio (base64 PCM16, 24 kHz) runs through an
  energy detector, which plays the part of server VAD: ``speech_started``,
  ``speech_stopped``, ``committed``, the user item, and, when the session
  asked for transcription, a transcript taken from the script (there is no
  recogniser). When turn detection may create responses, a response follows.
- Responses: the text comes from the script; the audio is that text spoken by
  ``espeak-ng``, resampled to 24 kHz, so the client receives real, audible
  speech together with transcript deltas, the done events and usage.
- Recording: every client event (except the audio appends, which are counted
  and kept per user turn), every server event, each connection, user turn and
  response, so tests can assert on what reached "OpenAI".
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import math
import secrets
import shutil
import tempfile
import time
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import soundfile
from aiohttp import WSMsgType, web
from openai import BaseModel as OpenAIModel
from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent
from pydantic import ValidationError
from scipy.signal import resample_poly

from tests.fakes.server import LocalAppServer, wait_until

SAMPLE_RATE = 24000
"""The only audio rate the fake speaks: PCM16 mono at 24 kHz, as OpenAI's ``audio/pcm``."""

_BYTES_PER_MS = SAMPLE_RATE * 2 // 1000
_VAD_FRAME_MS = 20
_AUDIO_CHUNK_MS = 100
_MIN_COMMIT_MS = 100


def _event_models(union: Any) -> dict[str, type[OpenAIModel]]:
    """Map each event ``type`` string to its pydantic model, from an ``openai`` union alias."""
    members = typing.get_args(typing.get_args(union)[0])
    return {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in members}


_CLIENT_EVENT_MODELS = _event_models(RealtimeClientEvent)
_SERVER_EVENT_MODELS = _event_models(RealtimeServerEvent)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


async def synthesize_speech(text: str, *, voice: str = "en-us") -> bytes:
    """Speak ``text`` with espeak-ng and return PCM16 mono samples at 24 kHz.

    A real synthesiser keeps the fake honest: downstream code gets speech with
    the envelope and pauses of speech, not a tone.
    """
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("the fake Realtime server needs espeak-ng (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        proc = await asyncio.create_subprocess_exec(
            "espeak-ng",
            "-v",
            voice,
            "-w",
            str(wav),
            "--stdin",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate(text.encode())
        if proc.returncode != 0:
            raise RuntimeError(f"espeak-ng failed: {err.decode(errors='replace').strip()}")
        samples, rate = soundfile.read(wav, dtype="float32")
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    g = math.gcd(SAMPLE_RATE, int(rate))
    resampled = resample_poly(samples, SAMPLE_RATE // g, int(rate) // g)
    return (np.clip(resampled, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def pcm16_dbfs(pcm: bytes) -> float:
    """RMS level of PCM16 samples in dB relative to full scale (-inf for silence)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return -math.inf
    rms = math.sqrt(float(np.mean(samples * samples)))
    return 20 * math.log10(rms / 32768) if rms > 0 else -math.inf


@dataclass(frozen=True)
class RealtimeScript:
    """What the fake says and hears.

    ``assistant_replies`` are spoken in order, one per response. When they run
    out, ``reply_for(instructions, response_index)`` is asked, if given (e.g. to
    derive the reply from the response's instructions); otherwise the response
    fails with ``fake_script_exhausted``. ``user_transcripts`` are, in order,
    the transcripts of the user turns the VAD (or a manual commit) produces; a
    turn with none left gets ``input_audio_transcription.failed``.

    ``audio_speed`` paces the audio deltas: ``None`` sends them at once, 1.0 in
    real time (so a user can interrupt mid-reply). The VAD counts 20 ms frames
    louder than ``vad_threshold_dbfs`` as speech; ``vad_min_speech_ms`` of them
    start a turn, and silence of the session's ``silence_duration_ms`` (or
    ``default_silence_ms`` when the turn detection type has none, such as
    ``semantic_vad``) ends it.
    """

    assistant_replies: Sequence[str] = ()
    user_transcripts: Sequence[str] = ()
    reply_for: Callable[[str, int], str] | None = None
    audio_speed: float | None = None
    espeak_voice: str = "en-us"
    vad_threshold_dbfs: float = -40.0
    vad_min_speech_ms: int = 100
    default_silence_ms: int = 800


@dataclass(frozen=True)
class RecordedConnection:
    """One WebSocket connection as the client opened it."""

    path: str
    model: str | None
    authorization: str | None


@dataclass
class RecordedUserTurn:
    """A committed user turn: the audio the server heard and the transcript it sent."""

    item_id: str
    audio: bytes
    audio_start_ms: int
    audio_end_ms: int
    transcript: str | None
    trigger: Literal["server_vad", "commit"]

    @property
    def duration_s(self) -> float:
        """Length of the committed audio in seconds."""
        return len(self.audio) / 2 / SAMPLE_RATE


@dataclass
class RecordedResponse:
    """A response the server produced, with what it was asked and what it said."""

    response_id: str
    trigger: Literal["response.create", "turn_detection"]
    instructions: str
    metadata: dict[str, str] | None
    text: str = ""
    audio: bytes = b""
    status: str = "in_progress"


@dataclass
class _EnergyVad:
    """Frame-energy voice activity detection standing in for OpenAI's server VAD."""

    threshold_dbfs: float
    min_speech_ms: int
    silence_ms: int
    prefix_padding_ms: int
    position_ms: int = 0
    in_speech: bool = False
    _speech_run_ms: int = 0
    _silence_run_ms: int = 0
    _last_speech_end_ms: int = 0
    _partial: bytearray = field(default_factory=bytearray)

    def push(self, pcm: bytes) -> list[tuple[Literal["start", "stop"], int]]:
        """Feed audio; return (kind, audio_ms) transitions in order."""
        events: list[tuple[Literal["start", "stop"], int]] = []
        self._partial.extend(pcm)
        frame_bytes = _VAD_FRAME_MS * _BYTES_PER_MS
        while len(self._partial) >= frame_bytes:
            frame = bytes(self._partial[:frame_bytes])
            del self._partial[:frame_bytes]
            self.position_ms += _VAD_FRAME_MS
            loud = pcm16_dbfs(frame) > self.threshold_dbfs
            if not self.in_speech:
                self._speech_run_ms = self._speech_run_ms + _VAD_FRAME_MS if loud else 0
                if self._speech_run_ms >= self.min_speech_ms:
                    self.in_speech = True
                    self._silence_run_ms = 0
                    onset = self.position_ms - self._speech_run_ms
                    events.append(("start", max(0, onset - self.prefix_padding_ms)))
            elif loud:
                self._silence_run_ms = 0
                self._last_speech_end_ms = self.position_ms
            else:
                self._silence_run_ms += _VAD_FRAME_MS
                if self._silence_run_ms >= self.silence_ms:
                    self.in_speech = False
                    self._speech_run_ms = 0
                    events.append(("stop", self._last_speech_end_ms))
        return events

    def reset(self) -> None:
        """Forget any turn in progress (the buffer was cleared)."""
        self.in_speech = False
        self._speech_run_ms = 0
        self._silence_run_ms = 0
        self._partial.clear()


def _merge_session(current: dict[str, Any], update: dict[str, Any]) -> None:
    """Apply a ``session.update`` payload in place, as the server does.

    Nested objects merge, except that an object whose ``type`` changes (e.g.
    ``server_vad`` to ``semantic_vad``) replaces the old one; ``null`` clears.
    """
    for key, value in update.items():
        old = current.get(key)
        if (
            isinstance(value, dict)
            and isinstance(old, dict)
            and value.get("type", old.get("type")) == old.get("type")
        ):
            _merge_session(old, value)
        else:
            current[key] = value


def _default_session(model: str) -> dict[str, Any]:
    pcm = {"type": "audio/pcm", "rate": SAMPLE_RATE}
    return {
        "id": _new_id("sess"),
        "object": "realtime.session",
        "type": "realtime",
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "",
        "audio": {
            "input": {
                "format": dict(pcm),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 200,
                    "create_response": True,
                    "interrupt_response": True,
                },
            },
            "output": {"format": dict(pcm), "voice": "alloy", "speed": 1.0},
        },
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "expires_at": int(time.time()) + 3600,
    }


@dataclass
class _ActiveResponse:
    record: RecordedResponse
    modalities: list[str]
    cancel_reason: str | None = None
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class _Connection:
    """Protocol state of one WebSocket connection: session, conversation, audio buffer."""

    def __init__(self, server: FakeRealtimeServer, ws: web.WebSocketResponse, model: str) -> None:
        self._server = server
        self._ws = ws
        self._send_lock = asyncio.Lock()
        self.session = _default_session(model)
        self._items: list[dict[str, Any]] = []
        self._buffer = bytearray()
        self._buffer_start_ms = 0
        self._vad = self._make_vad()
        self._pending_item_id: str | None = None
        self._speech_start_ms = 0
        self._response: _ActiveResponse | None = None

    # -- sending -----------------------------------------------------------------------

    async def send(self, event: dict[str, Any]) -> None:
        """Validate ``event`` against the ``openai`` server event types, record it and send it."""
        event.setdefault("event_id", _new_id("event"))
        model = _SERVER_EVENT_MODELS[event["type"]]
        model.model_validate(event)  # a failure here is a bug in the fake
        self._server._record_server_event(event)
        if self._ws.closed:
            return
        async with self._send_lock:
            await self._ws.send_str(json.dumps(event))

    async def send_error(
        self,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        event_id: str | None = None,
        param: str | None = None,
    ) -> None:
        """Send an ``error`` event, optionally tied to the client event it rejects."""
        error = {"type": type_, "code": code, "message": message, "param": param}
        error["event_id"] = event_id
        await self.send({"type": "error", "error": error})

    # -- receiving ---------------------------------------------------------------------

    async def serve(self) -> None:
        """Greet with ``session.created``, then handle client events until the socket closes."""
        await self.send({"type": "session.created", "session": self.session})
        try:
            async for msg in self._ws:
                if msg.type == WSMsgType.TEXT:
                    await self._handle_text(msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            if self._response is not None:
                await self._cancel_response("client_cancelled")

    async def _handle_text(self, data: str) -> None:
        try:
            event = json.loads(data)
        except json.JSONDecodeError:
            await self.send_error("The message is not valid JSON.", code="invalid_json")
            return
        if not isinstance(event, dict):
            await self.send_error("The message must be a JSON object.", code="invalid_json")
            return
        etype = event.get("type")
        event_id = event.get("event_id")
        if etype != "input_audio_buffer.append":
            self._server.client_events.append(event)
        model = _CLIENT_EVENT_MODELS.get(str(etype))
        if model is None:
            supported = ", ".join(sorted(_CLIENT_EVENT_MODELS))
            await self.send_error(
                f"Invalid value: '{etype}'. Supported values are: {supported}.",
                code="invalid_value",
                event_id=event_id,
                param="type",
            )
            return
        try:
            model.model_validate(event)
        except ValidationError as e:
            self._server.invalid_client_events.append(event)
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            await self.send_error(
                f"Invalid '{where}': {first['msg']}", event_id=event_id, param=where
            )
            return
        handler = getattr(self, "_on_" + str(etype).replace(".", "_"))
        await handler(event)

    async def _on_session_update(self, event: dict[str, Any]) -> None:
        update = dict(event["session"])
        if update.get("type") != "realtime":
            await self.send_error(
                "Only realtime sessions are supported by the fake.",
                event_id=event.get("event_id"),
                param="session.type",
            )
            return
        _merge_session(self.session, update)
        td_changed = "turn_detection" in update.get("audio", {}).get("input", {})
        if td_changed:
            position = self._vad.position_ms
            self._vad = self._make_vad()
            self._vad.position_ms = position
        await self.send({"type": "session.updated", "session": self.session})

    async def _on_input_audio_buffer_append(self, event: dict[str, Any]) -> None:
        try:
            pcm = base64.b64decode(event["audio"], validate=True)
        except (binascii.Error, ValueError):
            await self.send_error("Invalid base64 audio.", event_id=event.get("event_id"))
            return
        self._server.input_audio_bytes += len(pcm)
        self._buffer.extend(pcm)
        if self._turn_detection() is None:
            self._vad.position_ms += len(pcm) // _BYTES_PER_MS
            return
        for kind, at_ms in self._vad.push(pcm):
            if kind == "start":
                await self._on_speech_started(at_ms)
            else:
                await self._on_speech_stopped(at_ms)

    async def _on_input_audio_buffer_commit(self, event: dict[str, Any]) -> None:
        buffered_ms = len(self._buffer) // _BYTES_PER_MS
        if buffered_ms < _MIN_COMMIT_MS:
            await self.send_error(
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{_MIN_COMMIT_MS}ms of audio, but buffer only has {buffered_ms:.2f}ms of audio.",
                code="input_audio_buffer_commit_empty",
                event_id=event.get("event_id"),
            )
            return
        start_ms = self._buffer_start_ms
        item_id = self._pending_item_id or _new_id("item")
        self._pending_item_id = None
        self._vad.reset()
        await self._commit(item_id, start_ms, start_ms + buffered_ms, "commit")

    async def _on_input_audio_buffer_clear(self, event: dict[str, Any]) -> None:
        self._buffer_start_ms += len(self._buffer) // _BYTES_PER_MS
        self._buffer.clear()
        self._vad.reset()
        self._pending_item_id = None
        await self.send({"type": "input_audio_buffer.cleared"})

    async def _on_output_audio_buffer_clear(self, event: dict[str, Any]) -> None:
        await self.send_error(
            "output_audio_buffer.clear is only supported over WebRTC.",
            event_id=event.get("event_id"),
        )

    async def _on_conversation_item_create(self, event: dict[str, Any]) -> None:
        item = dict(event["item"])
        item.setdefault("id", _new_id("item"))
        item.setdefault("object", "realtime.item")
        item.setdefault("status", "completed")
        if self._find(item["id"]) is not None:
            await self.send_error(
                f"Item with item_id '{item['id']}' already exists.",
                code="item_create_duplicate_item_id",
                event_id=event.get("event_id"),
            )
            return
        previous = event.get("previous_item_id")
        if previous == "root":
            index = 0
        elif previous is None:
            index = len(self._items)
        else:
            found = self._find(previous)
            if found is None:
                await self.send_error(
                    f"Previous item with item_id '{previous}' not found.",
                    code="item_not_found",
                    event_id=event.get("event_id"),
                    param="previous_item_id",
                )
                return
            index = found + 1
        await self._add_item(item, index)

    async def _on_conversation_item_delete(self, event: dict[str, Any]) -> None:
        index = self._find(event["item_id"])
        if index is None:
            await self.send_error(
                f"Item with item_id '{event['item_id']}' not found.",
                code="item_not_found",
                event_id=event.get("event_id"),
            )
            return
        del self._items[index]
        await self.send({"type": "conversation.item.deleted", "item_id": event["item_id"]})

    async def _on_conversation_item_truncate(self, event: dict[str, Any]) -> None:
        if self._find(event["item_id"]) is None:
            await self.send_error(
                f"Item with item_id '{event['item_id']}' not found.",
                code="item_not_found",
                event_id=event.get("event_id"),
            )
            return
        await self.send(
            {
                "type": "conversation.item.truncated",
                "item_id": event["item_id"],
                "content_index": event["content_index"],
                "audio_end_ms": event["audio_end_ms"],
            }
        )

    async def _on_conversation_item_retrieve(self, event: dict[str, Any]) -> None:
        index = self._find(event["item_id"])
        if index is None:
            await self.send_error(
                f"Item with item_id '{event['item_id']}' not found.",
                code="item_not_found",
                event_id=event.get("event_id"),
            )
            return
        await self.send({"type": "conversation.item.retrieved", "item": self._items[index]})

    async def _on_response_create(self, event: dict[str, Any]) -> None:
        if self._response is not None:
            await self.send_error(
                "Conversation already has an active response in progress: "
                f"{self._response.record.response_id}. Wait until the response is finished "
                "before creating a new one.",
                code="conversation_already_has_active_response",
                event_id=event.get("event_id"),
            )
            return
        params = event.get("response") or {}
        self._start_response(
            "response.create",
            instructions=params.get("instructions"),
            metadata=params.get("metadata"),
            modalities=params.get("output_modalities"),
        )

    async def _on_response_cancel(self, event: dict[str, Any]) -> None:
        wanted = event.get("response_id")
        active = self._response
        if active is None or (wanted and wanted != active.record.response_id):
            await self.send_error(
                "Cancellation failed: no active response found",
                code="response_cancel_not_active",
                event_id=event.get("event_id"),
            )
            return
        await self._cancel_response("client_cancelled")

    # -- turns -------------------------------------------------------------------------

    def _turn_detection(self) -> dict[str, Any] | None:
        td = self.session["audio"]["input"].get("turn_detection")
        return td if isinstance(td, dict) else None

    def _make_vad(self) -> _EnergyVad:
        script = self._server.script
        td = self._turn_detection() or {}
        return _EnergyVad(
            threshold_dbfs=script.vad_threshold_dbfs,
            min_speech_ms=script.vad_min_speech_ms,
            silence_ms=int(td.get("silence_duration_ms") or script.default_silence_ms),
            prefix_padding_ms=int(td.get("prefix_padding_ms") or 300),
        )

    async def _on_speech_started(self, at_ms: int) -> None:
        self._pending_item_id = _new_id("item")
        self._speech_start_ms = at_ms
        await self.send(
            {
                "type": "input_audio_buffer.speech_started",
                "audio_start_ms": at_ms,
                "item_id": self._pending_item_id,
            }
        )
        td = self._turn_detection() or {}
        if self._response is not None and td.get("interrupt_response") is not False:
            await self._cancel_response("turn_detected")

    async def _on_speech_stopped(self, at_ms: int) -> None:
        item_id = self._pending_item_id or _new_id("item")
        self._pending_item_id = None
        await self.send(
            {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": at_ms, "item_id": item_id}
        )
        start_ms = max(self._speech_start_ms, self._buffer_start_ms)
        await self._commit(item_id, start_ms, self._vad.position_ms, "server_vad")
        td = self._turn_detection() or {}
        if td.get("create_response") is not False and self._response is None:
            self._start_response(
                "turn_detection", instructions=None, metadata=None, modalities=None
            )

    async def _commit(
        self, item_id: str, start_ms: int, end_ms: int, trigger: Literal["server_vad", "commit"]
    ) -> None:
        """Turn buffered audio from ``start_ms`` into a user item, then transcribe it."""
        offset = (start_ms - self._buffer_start_ms) * _BYTES_PER_MS
        audio = bytes(self._buffer[max(0, offset) :])
        self._buffer_start_ms += len(self._buffer) // _BYTES_PER_MS
        self._buffer.clear()
        previous = self._items[-1]["id"] if self._items else None
        await self.send(
            {
                "type": "input_audio_buffer.committed",
                "item_id": item_id,
                "previous_item_id": previous,
            }
        )
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        await self._add_item(item, len(self._items))
        turn = RecordedUserTurn(item_id, audio, start_ms, end_ms, None, trigger)
        self._server.user_turns.append(turn)
        if self.session["audio"]["input"].get("transcription") is None:
            return
        transcript = self._server._next_user_transcript()
        if transcript is None:
            await self.send(
                {
                    "type": "conversation.item.input_audio_transcription.failed",
                    "item_id": item_id,
                    "content_index": 0,
                    "error": {
                        "type": "transcription_error",
                        "code": "fake_script_exhausted",
                        "message": "The fake server has no scripted transcript left.",
                    },
                }
            )
            return
        turn.transcript = transcript
        item["content"][0]["transcript"] = transcript
        base = {"item_id": item_id, "content_index": 0}
        await self.send(
            {"type": "conversation.item.input_audio_transcription.delta", "delta": transcript}
            | base
        )
        await self.send(
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "transcript": transcript,
                "usage": {"type": "duration", "seconds": round(len(audio) / 2 / SAMPLE_RATE, 3)},
            }
            | base
        )

    # -- conversation ------------------------------------------------------------------

    def _find(self, item_id: str) -> int | None:
        return next((i for i, it in enumerate(self._items) if it.get("id") == item_id), None)

    async def _add_item(self, item: dict[str, Any], index: int) -> None:
        self._items.insert(index, item)
        previous = self._items[index - 1]["id"] if index > 0 else None
        for etype in ("conversation.item.added", "conversation.item.done"):
            await self.send({"type": etype, "item": item, "previous_item_id": previous})

    # -- responses ---------------------------------------------------------------------

    def _start_response(
        self,
        trigger: Literal["response.create", "turn_detection"],
        *,
        instructions: str | None,
        metadata: dict[str, str] | None,
        modalities: list[str] | None,
    ) -> None:
        record = RecordedResponse(
            response_id=_new_id("resp"),
            trigger=trigger,
            instructions=instructions if instructions is not None else self.session["instructions"],
            metadata=metadata,
        )
        self._server.responses.append(record)
        active = _ActiveResponse(record, modalities or list(self.session["output_modalities"]))
        self._response = active
        active.task = asyncio.create_task(self._run_response(active))

    def _response_body(self, active: _ActiveResponse, status: str, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": active.record.response_id,
            "object": "realtime.response",
            "status": status,
            "conversation_id": "conv_fake",
            "output_modalities": active.modalities,
            "metadata": active.record.metadata,
            "audio": {"output": self.session["audio"]["output"]},
            "max_output_tokens": self.session.get("max_output_tokens", "inf"),
            "output": [],
        }
        return body | extra

    async def _run_response(self, active: _ActiveResponse) -> None:
        """Play one response to its end; any failure ends it as ``failed``, never silently."""
        try:
            await self.send(
                {"type": "response.created", "response": self._response_body(active, "in_progress")}
            )
            index = len(self._server.responses) - 1
            text = self._server._next_reply(active.record.instructions, index)
            if text is None:
                await self._fail_response(
                    active, "fake_script_exhausted", "The fake server has no scripted reply left."
                )
            else:
                await self._speak_reply(active, text)
        except Exception as e:  # kept for the test to see, and reported to the client
            self._server.internal_errors.append(e)
            await self._fail_response(active, "fake_server_error", f"{type(e).__name__}: {e}")
        finally:
            self._response = None

    async def _fail_response(self, active: _ActiveResponse, code: str, message: str) -> None:
        active.record.status = "failed"
        error = {"type": "server_error", "code": code, "message": message}
        details = {"type": "failed", "error": error}
        await self.send(
            {
                "type": "response.done",
                "response": self._response_body(active, "failed", status_details=details),
            }
        )

    async def _speak_reply(self, active: _ActiveResponse, text: str) -> None:
        """Send the assistant item for ``text``: item and part, deltas, then the done events."""
        record = active.record
        audio_out = "audio" in active.modalities
        audio = await self._server._speech(text) if audio_out else b""
        item: dict[str, Any] = {
            "id": _new_id("item"),
            "object": "realtime.item",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        out = {"response_id": record.response_id, "output_index": 0}
        where = out | {"item_id": item["id"], "content_index": 0}
        await self.send({"type": "response.output_item.added", "item": item} | out)
        self._items.append(item)
        previous = self._items[-2]["id"] if len(self._items) > 1 else None
        await self.send(
            {"type": "conversation.item.added", "item": item, "previous_item_id": previous}
        )
        part_type = "audio" if audio_out else "text"
        await self.send(
            {"type": "response.content_part.added", "part": {"type": part_type}} | where
        )

        await self._stream_deltas(active, text, audio, where)

        spoken = record.text
        if audio_out:
            await self.send({"type": "response.output_audio.done"} | where)
            await self.send(
                {"type": "response.output_audio_transcript.done", "transcript": spoken} | where
            )
            part = {"type": "audio", "transcript": spoken}
            content = {"type": "output_audio", "transcript": spoken}
        else:
            await self.send({"type": "response.output_text.done", "text": spoken} | where)
            part = {"type": "text", "text": spoken}
            content = {"type": "output_text", "text": spoken}
        await self.send({"type": "response.content_part.done", "part": part} | where)
        cancelled = active.cancel_reason is not None
        item["status"] = "incomplete" if cancelled else "completed"
        item["content"] = [content]
        await self.send({"type": "response.output_item.done", "item": item} | out)
        await self.send(
            {"type": "conversation.item.done", "item": item, "previous_item_id": previous}
        )
        record.status = "cancelled" if cancelled else "completed"
        extra: dict[str, Any] = {"output": [item], "usage": self._usage(record)}
        if cancelled:
            extra["status_details"] = {"type": "cancelled", "reason": active.cancel_reason}
        await self.send(
            {
                "type": "response.done",
                "response": self._response_body(active, record.status, **extra),
            }
        )

    async def _stream_deltas(
        self, active: _ActiveResponse, text: str, audio: bytes, where: dict[str, Any]
    ) -> None:
        """Send audio in 100 ms deltas with the words spread evenly over them.

        Stops at the next chunk once the response is cancelled; what was sent
        is kept in the record (the truncated transcript and audio).
        """
        record = active.record
        words = text.split(" ")
        chunk_bytes = _AUDIO_CHUNK_MS * _BYTES_PER_MS
        chunks = [audio[i : i + chunk_bytes] for i in range(0, len(audio), chunk_bytes)]
        steps = max(len(chunks), 1)
        text_delta = (
            "response.output_audio_transcript.delta"
            if "audio" in active.modalities
            else "response.output_text.delta"
        )
        sent_words = 0
        sent_audio = bytearray()
        for step in range(steps):
            if active.cancel_reason is not None:
                break
            upto = math.ceil((step + 1) * len(words) / steps)
            while sent_words < upto:
                delta = words[sent_words] + (" " if sent_words < len(words) - 1 else "")
                sent_words += 1
                record.text += delta
                await self.send({"type": text_delta, "delta": delta} | where)
            if chunks:
                sent_audio.extend(chunks[step])
                encoded = base64.b64encode(chunks[step]).decode()
                await self.send({"type": "response.output_audio.delta", "delta": encoded} | where)
            if self._server.script.audio_speed:
                pause = _AUDIO_CHUNK_MS / 1000 / self._server.script.audio_speed
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(active.cancelled.wait(), timeout=pause)
        record.audio = bytes(sent_audio)

    @staticmethod
    def _usage(record: RecordedResponse) -> dict[str, Any]:
        """Plausible token counts: words for text, one token per 50 ms for audio."""
        text_in = max(1, len(record.instructions.split()))
        text_out = len(record.text.split())
        audio_out = len(record.audio) // (50 * _BYTES_PER_MS)
        return {
            "input_tokens": text_in,
            "output_tokens": text_out + audio_out,
            "total_tokens": text_in + text_out + audio_out,
            "input_token_details": {"text_tokens": text_in, "audio_tokens": 0, "cached_tokens": 0},
            "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out},
        }

    async def _cancel_response(self, reason: str) -> None:
        active = self._response
        if active is None or active.task is None:
            return
        active.cancel_reason = reason
        active.cancelled.set()
        await asyncio.shield(active.task)


class FakeRealtimeServer(LocalAppServer):
    """The OpenAI Realtime WebSocket API on 127.0.0.1, scripted.

    ``async with FakeRealtimeServer(RealtimeScript(...)) as server:`` serves on
    the caller's loop; ``with ...`` serves from a private thread. Point the
    client at ``server.base_url`` (``http://127.0.0.1:<port>/v1``): the plugin
    turns it into ``ws://127.0.0.1:<port>/v1/realtime?model=<model>``.
    """

    def __init__(self, script: RealtimeScript | None = None) -> None:
        super().__init__()
        self.script = script or RealtimeScript()
        self.client_events: list[dict[str, Any]] = []
        """Every client event in arrival order, except ``input_audio_buffer.append``."""
        self.invalid_client_events: list[dict[str, Any]] = []
        self.server_events: list[dict[str, Any]] = []
        """Every server event sent; audio deltas carry ``delta_bytes`` instead of audio."""
        self.connections: list[RecordedConnection] = []
        self.user_turns: list[RecordedUserTurn] = []
        self.responses: list[RecordedResponse] = []
        self.input_audio_bytes = 0
        self.internal_errors: list[Exception] = []
        """Exceptions the fake itself raised while answering (each also failed a response)."""
        self._replies_used = 0
        self._transcripts_used = 0
        self._speech_cache: dict[str, bytes] = {}
        self._open: list[_Connection] = []
        self._sockets: list[web.WebSocketResponse] = []

    # -- queries for tests -------------------------------------------------------------

    def client_events_of_type(self, event_type: str) -> list[dict[str, Any]]:
        """Recorded client events of one type, in arrival order."""
        return [e for e in self.client_events if e.get("type") == event_type]

    def server_events_of_type(self, event_type: str) -> list[dict[str, Any]]:
        """Recorded server events of one type, in sending order."""
        return [e for e in self.server_events if e.get("type") == event_type]

    @property
    def session_instructions(self) -> list[str]:
        """The instructions of every ``session.update`` that carried some, in order."""
        return [
            e["session"]["instructions"]
            for e in self.client_events_of_type("session.update")
            if isinstance(e["session"].get("instructions"), str)
        ]

    @property
    def input_audio_seconds(self) -> float:
        """Seconds of input audio appended over all connections."""
        return self.input_audio_bytes / 2 / SAMPLE_RATE

    async def wait_for(self, predicate: Callable[[], bool], *, timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (raises ``TimeoutError``)."""
        await wait_until(predicate, timeout=timeout)

    async def wait_for_client_event(
        self, event_type: str, *, count: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until ``count`` client events of ``event_type`` arrived; return them all."""
        await wait_until(
            lambda: len(self.client_events_of_type(event_type)) >= count, timeout=timeout
        )
        return self.client_events_of_type(event_type)

    # -- fault injection ---------------------------------------------------------------

    async def send_error(
        self, message: str, *, code: str | None = None, type_: str = "server_error"
    ) -> None:
        """Send an ``error`` event on every open connection (e.g. a transient server error)."""

        async def _send() -> None:
            for conn in list(self._open):
                await conn.send_error(message, type_=type_, code=code)

        await self.run_on_server_loop(_send)

    async def drop_connections(self) -> None:
        """Close every open WebSocket from the server side, as a network failure would."""

        async def _drop() -> None:
            for ws in list(self._sockets):
                await ws.close(code=1011, message=b"fake server dropped the connection")

        await self.run_on_server_loop(_drop)

    # -- serving -----------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/realtime", self._handle_ws)
        return app

    async def on_stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"fake server stopping")

    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization")
        model = request.query.get("model")
        self.connections.append(RecordedConnection(request.path_qs, model, auth))
        if not auth or not auth.startswith("Bearer "):
            raise web.HTTPUnauthorized(text="missing bearer token")
        if not model:
            raise web.HTTPBadRequest(text="missing model query parameter")
        ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        conn = _Connection(self, ws, model)
        self._open.append(conn)
        self._sockets.append(ws)
        try:
            await conn.serve()
        finally:
            self._open.remove(conn)
            self._sockets.remove(ws)
        return ws

    # -- script ------------------------------------------------------------------------

    def _next_reply(self, instructions: str, index: int) -> str | None:
        if self._replies_used < len(self.script.assistant_replies):
            self._replies_used += 1
            return self.script.assistant_replies[self._replies_used - 1]
        if self.script.reply_for is not None:
            return self.script.reply_for(instructions, index)
        return None

    def _next_user_transcript(self) -> str | None:
        if self._transcripts_used < len(self.script.user_transcripts):
            self._transcripts_used += 1
            return self.script.user_transcripts[self._transcripts_used - 1]
        return None

    async def _speech(self, text: str) -> bytes:
        if text not in self._speech_cache:
            self._speech_cache[text] = await synthesize_speech(text, voice=self.script.espeak_voice)
        return self._speech_cache[text]

    def _record_server_event(self, event: dict[str, Any]) -> None:
        if event["type"] == "response.output_audio.delta":
            size = len(base64.b64decode(event["delta"]))
            event = {k: v for k, v in event.items() if k != "delta"} | {"delta_bytes": size}
        self.server_events.append(event)
