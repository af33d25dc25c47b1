"""The proctoring event model: what goes on the data channel and what the API stores.

Two messages travel on the LiveKit data channel (docs/architecture.md):

* topic ``proctoring.anomaly``: one :class:`AnomalyEvent` when an anomaly starts and one
  when it ends. Both carry the same ``id``; ``"{id}:{state}"`` is the idempotency key the
  control API dedupes on, so the agent's outbox can resend freely.
* topic ``proctoring.status``: a small :class:`StatusHeartbeat` every few seconds, so a
  proctor who joins late sees the present.

Times are **epoch seconds as floats** (UTC, like ``time.time()``), not ISO strings: the
smoother and the scorecard do arithmetic on them, JavaScript turns them into dates with
``new Date(t * 1000)``, and a float cannot carry an ambiguous timezone.

The ``ended`` message repeats every field of the anomaly with its final values, so it is a
complete record on its own: the API can build its row from it even if the ``started``
message was lost or arrives later. :class:`AnomalyRecord` is that row's content.

One anomaly, one definition (docs/architecture.md, "The path of one anomaly"): the agent's
smoother emits :class:`AnomalyEvent`; the same model is the data-channel message, the
body of ``POST /agent/interviews/{id}/events`` and, folded by :meth:`AnomalyRecord.merged`
(the one merge; the proctor page's ``mergeAnomaly`` applies the same rule to what it
shows, ``control_api/dashboard/js/anomaly-merge.js``, checked against this one in
``tests/test_contracts_js.py``), the stored row
(``control_api.models.ProctoringEvent`` converts to and from :class:`AnomalyRecord`, the
only place epoch seconds meet database timestamps) and the proctor's history.
"""

from __future__ import annotations

import json
import math
import uuid
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    computed_field,
    field_validator,
    model_validator,
)

TOPIC_ANOMALY = "proctoring.anomaly"
TOPIC_STATUS = "proctoring.status"
MESSAGE_VERSION: Literal[1] = 1
# Keep each message well under 15 KiB (LiveKit's reliable packets are
# limited to about that size); the API holds the full record.
MAX_MESSAGE_BYTES = 15 * 1024
MAX_EVIDENCE_JSON_CHARS = 64 * 1024
"""Bound on an anomaly's evidence as JSON: images travel as snapshot keys, not inline."""
MAX_EPOCH_SECONDS = 253_402_300_799.0
"""9999-12-31T23:59:59Z: the last second a database timestamp (and Python) can hold."""
TRUNCATED_KEY = "truncated"
"""Evidence key listing the evidence keys dropped to fit the message size bound."""


class AnomalyType(StrEnum):
    """What went wrong. The first five are judged from media, the rest are conditions."""

    FACE_MISMATCH = "face_mismatch"
    MULTIPLE_FACES = "multiple_faces"
    NO_FACE = "no_face"
    VOICE_MISMATCH = "voice_mismatch"
    SECOND_SPEAKER = "second_speaker"
    CAMERA_OFF = "camera_off"
    MIC_OFF = "mic_off"
    CANDIDATE_LEFT = "candidate_left"
    CONNECTION_LOST = "connection_lost"
    EXTRA_CAMERA = "extra_camera"
    EXTRA_MICROPHONE = "extra_microphone"


SMOOTHED_TYPES: tuple[AnomalyType, ...] = (
    AnomalyType.FACE_MISMATCH,
    AnomalyType.MULTIPLE_FACES,
    AnomalyType.NO_FACE,
    AnomalyType.VOICE_MISMATCH,
    AnomalyType.SECOND_SPEAKER,
)
"""Signals judged from a stream of noisy readings, hence smoothed."""

CONDITION_TYPES: tuple[AnomalyType, ...] = (
    AnomalyType.CAMERA_OFF,
    AnomalyType.MIC_OFF,
    AnomalyType.CANDIDATE_LEFT,
    AnomalyType.CONNECTION_LOST,
    AnomalyType.EXTRA_CAMERA,
    AnomalyType.EXTRA_MICROPHONE,
)
"""Signals reported as facts by LiveKit (track muted, participant gone, a second camera or
microphone published), only debounced."""


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """Order for comparisons (a StrEnum compares alphabetically, which is wrong here)."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}


class AnomalyState(StrEnum):
    STARTED = "started"
    ENDED = "ended"


class SignalState(StrEnum):
    """A signal's present state, as shown in the heartbeat."""

    CLEAN = "clean"
    ANOMALOUS = "anomalous"
    UNCERTAIN = "uncertain"  # readings arrive but none can be judged (dark, blurred, short)
    UNKNOWN = "unknown"  # no recent readings at all (camera off, silence, not reported yet)


class InvalidMessageError(ValueError):
    """A data-channel message that is too large, not JSON, or not a valid model."""


AnomalyId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
"""Unique within its interview (the agent makes a UUID, :func:`new_anomaly_id`); safe in
a storage key or a URL, bounded for the database."""


def new_anomaly_id() -> str:
    """A fresh anomaly id (uuid4), shared by the start and end messages of one anomaly."""
    return str(uuid.uuid4())


def _finite_time(value: float) -> float:
    if not math.isfinite(value) or not 0 <= value <= MAX_EPOCH_SECONDS:
        raise ValueError("time must be epoch seconds (UTC) between 1970 and the year 9999")
    return value


def _bounded_evidence(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    if len(json.dumps(value, default=str)) > MAX_EVIDENCE_JSON_CHARS:
        raise ValueError("evidence is too large: store images as snapshots and send their keys")
    return value


class _Message(BaseModel):
    """Common strict config: unknown fields are refused, instances are immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_message(self) -> bytes:
        """Compact UTF-8 JSON for the data channel."""
        return self.model_dump_json().encode()

    @classmethod
    def from_message(cls, data: bytes | str) -> Self:
        """Parse and validate a received message; raise :class:`InvalidMessageError`."""
        raw = data.encode() if isinstance(data, str) else data
        if len(raw) > MAX_MESSAGE_BYTES:
            raise InvalidMessageError("message exceeds the size bound")
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidMessageError(f"invalid {cls.__name__} message") from exc


class AnomalyFields(BaseModel):
    """What one anomaly is: the one definition its message (:class:`AnomalyEvent`) and
    its stored record (:class:`AnomalyRecord`) are both made of.

    ``confirmed_at`` (an addition to the original message list) is when the start was
    confirmed (by the smoother, or when a condition outlived its debounce); it is later than
    ``started_at`` by the detection latency and has the same value in both messages, so the
    ``ended`` message stays a complete record.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: AnomalyId
    interview_id: str = Field(min_length=1, max_length=128)
    type: AnomalyType
    severity: Severity
    confidence: float = Field(ge=0.0, le=1.0)
    started_at: float
    ended_at: float | None = None
    confirmed_at: float
    evidence: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("started_at", "confirmed_at")
    @classmethod
    def _time(cls, value: float) -> float:
        return _finite_time(value)

    @field_validator("ended_at")
    @classmethod
    def _optional_time(cls, value: float | None) -> float | None:
        return None if value is None else _finite_time(value)

    @field_validator("evidence")
    @classmethod
    def _evidence(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        return _bounded_evidence(value)


class AnomalyEvent(_Message, AnomalyFields):
    """One start or end of an anomaly, as published on ``proctoring.anomaly``: the
    anomaly's fields with the message's version and state."""

    v: Literal[1] = MESSAGE_VERSION
    state: AnomalyState

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.state is AnomalyState.STARTED and self.ended_at is not None:
            raise ValueError("a started event has no ended_at")
        if self.state is AnomalyState.ENDED:
            if self.ended_at is None:
                raise ValueError("an ended event needs ended_at")
            if self.ended_at < self.started_at:
                raise ValueError("ended_at precedes started_at")
        return self

    @property
    def idempotency_key(self) -> str:
        """``"{id}:{state}"``: unique per message; the API ignores a key it already has."""
        return f"{self.id}:{self.state.value}"

    def to_message(self) -> bytes:
        """JSON under :data:`MAX_MESSAGE_BYTES`, dropping the bulkiest evidence if needed.

        Evidence keys are dropped largest first (ties by name, so the result is
        deterministic) and listed under ``evidence["truncated"]``; the API's record keeps
        whatever the agent stored in full.
        """
        data = super().to_message()
        if len(data) <= MAX_MESSAGE_BYTES:
            return data
        evidence = dict(self.evidence)
        dropped: list[str] = []
        by_size = sorted(evidence, key=lambda k: (-len(json.dumps(evidence[k], default=str)), k))
        for key in by_size:
            del evidence[key]
            dropped.append(key)
            trimmed = self.model_copy(
                update={"evidence": {**evidence, TRUNCATED_KEY: sorted(dropped)}}
            )
            data = trimmed.model_dump_json().encode()
            if len(data) <= MAX_MESSAGE_BYTES:
                return data
        raise InvalidMessageError("message exceeds the size bound even without evidence")


class JudgedTracks(_Message):
    """The candidate's track sids the agent reads and judges (None: no such track now).

    The candidate may publish several cameras or microphones; the agent judges one of each
    (see ``agent.proctor.tracks``). Naming them lets the proctor's page show the camera the
    verdicts are about, not whichever one it happened to receive last.
    """

    camera: str | None = Field(default=None, max_length=128)
    microphone: str | None = Field(default=None, max_length=128)


class StatusHeartbeat(_Message):
    """The present state of every signal, published on ``proctoring.status``."""

    v: Literal[1] = MESSAGE_VERSION
    interview_id: str = Field(min_length=1, max_length=128)
    sent_at: float
    signals: dict[AnomalyType, SignalState]
    active: list[str] = Field(default_factory=list)
    """Ids of the anomalies open now, oldest first."""
    judged: JudgedTracks = Field(default_factory=JudgedTracks)
    """The tracks the signals are judged from (empty in heartbeats of older agents)."""

    @field_validator("sent_at")
    @classmethod
    def _time(cls, value: float) -> float:
        return _finite_time(value)


class AnomalyRecord(AnomalyFields):
    """The stored form of one anomaly: one row, created at start, updated when it ends.

    Build it with :meth:`from_event` and fold later messages in with :meth:`merged`; the
    merge is order-independent, so duplicated or reordered deliveries give the same row.
    """

    @model_validator(mode="before")
    @classmethod
    def _drop_derived_state(cls, data: object) -> object:
        """A record's own dump carries its (computed) ``state``: read back, it is derived
        again, not refused as an unknown field."""
        if isinstance(data, dict) and "state" in data:
            return {k: v for k, v in data.items() if k != "state"}
        return data

    @classmethod
    def from_event(cls, event: AnomalyEvent) -> AnomalyRecord:
        return cls(**{name: getattr(event, name) for name in AnomalyFields.model_fields})

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented usage
    @property
    def state(self) -> AnomalyState:
        """``started`` while open, ``ended`` once it has an end: the message state it
        would be sent with now."""
        return AnomalyState.STARTED if self.ended_at is None else AnomalyState.ENDED

    def merged(self, other: AnomalyRecord | AnomalyEvent) -> AnomalyRecord:
        """Two versions of the same anomaly folded into one: the more complete one's
        figures (ended beats open), and the evidence of both, the more complete one's
        values winning where both have a key (the start's snapshot URL survives an end
        message that does not repeat it).

        Between two versions in the same state the choice is made on their content, never
        on arrival order, so any delivery order yields the same record (where two
        versions tie on every compared figure, their evidence values for one key may
        differ; the agent never sends such a pair: a start is repeated unchanged).
        """
        record = other if isinstance(other, AnomalyRecord) else AnomalyRecord.from_event(other)
        if record.id != self.id:
            raise ValueError("cannot merge records of different anomalies")
        less, more = sorted((self, record), key=_completeness)
        evidence = {**less.evidence, **more.evidence}
        return more if evidence == more.evidence else more.model_copy(update={"evidence": evidence})


def _completeness(record: AnomalyRecord) -> tuple[bool, float, float, int]:
    """Ended beats open, a later end an earlier one, then the higher confidence and
    severity (what the page's ``js/anomaly-merge.js`` compares too, so both pick the same
    version; versions equal on all four differ at most in evidence, which is unioned)."""
    ended_at = -1.0 if record.ended_at is None else record.ended_at
    return (record.ended_at is not None, ended_at, record.confidence, record.severity.rank)
