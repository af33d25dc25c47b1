"""The demo's scripted interview: what the candidate shows and says, step by step.

genuine, impostor face, genuine, a second person in view, face gone, another person's
voice, genuine; then the candidate answers as themselves until the interviewer has asked
its last question. The candidate answers the interviewer's questions throughout (so the
transcript is not empty), except during the voice steps, where a recording plays on the
microphone continuously, as when someone else talks for the candidate.

Step lengths follow the standard sensitivity (``proctoring/sensitivity.py``): an impostor
is confirmed about 1.5 s after appearing and a second face about 2 s, so 8 s leaves room
for a loaded machine; a missing face needs 80% of 10 s of readings, about 8 s, hence 16 s;
the face anomalies end after 5 s (mismatch), 4 s (second face) and 2 s (no face) of the
genuine picture, so each genuine step after them is at least that long. The camera stays
on when the face is gone (an empty room, not a muted camera): that is ``no_face``, not
``camera_off``. A voice mismatch needs 3 judged speech segments (each up to 6 s) in 20 s,
60% of them another voice: 20 s of the other person's voice. It starts only once the
agent judges the candidate's voice at all (heartbeat ``voice_mismatch: clean``), since a
voice enrolled from the first answers is not ready at once. The genuine voice after it
lasts 24 s: the mismatch ends after 15 s of the candidate's voice.

When the microphone switches from the candidate to someone else, the voice engine's
recent history holds both voices, which is exactly its second-speaker pattern; so
``second_speaker`` during that step is tolerated (not a false anomaly), though not
required.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from contracts.anomaly import AnomalyType


class Face(StrEnum):
    """Frames of :class:`proctorai.demo.inputs.DemoInputs`."""

    GENUINE = "genuine"
    IMPOSTOR = "impostor"
    TWO_PEOPLE = "two_people"
    EMPTY = "empty"


class Voice(StrEnum):
    ANSWERS = "answers"  # the candidate answers each question, then waits
    CANDIDATE = "candidate"  # the candidate's voice, continuously
    OTHER = "other"  # another person's voice, continuously


@dataclass(frozen=True)
class Step:
    """One stretch of the script."""

    name: str
    face: Face
    voice: Voice
    seconds: float
    expect: AnomalyType | None = None
    """The anomaly this step must raise (``None``: none)."""
    tolerate: frozenset[AnomalyType] = field(default_factory=frozenset)
    """Anomalies this step may also raise without counting as false."""
    wait_for_voice: bool = False
    """Start only once the agent judges the candidate's voice."""


DEMO_SCRIPT: tuple[Step, ...] = (
    Step("genuine", Face.GENUINE, Voice.ANSWERS, 6.0),
    Step("impostor face", Face.IMPOSTOR, Voice.ANSWERS, 8.0, AnomalyType.FACE_MISMATCH),
    Step("genuine", Face.GENUINE, Voice.ANSWERS, 8.0),
    Step("second person in view", Face.TWO_PEOPLE, Voice.ANSWERS, 8.0, AnomalyType.MULTIPLE_FACES),
    Step("genuine", Face.GENUINE, Voice.ANSWERS, 6.0),
    Step("face gone", Face.EMPTY, Voice.ANSWERS, 16.0, AnomalyType.NO_FACE),
    Step("genuine", Face.GENUINE, Voice.ANSWERS, 6.0),
    Step(
        "another person's voice",
        Face.GENUINE,
        Voice.OTHER,
        20.0,
        AnomalyType.VOICE_MISMATCH,
        tolerate=frozenset({AnomalyType.SECOND_SPEAKER}),
        wait_for_voice=True,
    ),
    Step("genuine", Face.GENUINE, Voice.CANDIDATE, 24.0),
)


@dataclass(frozen=True)
class PlayedStep:
    """A step as it ran: start and end in seconds from the start of the script."""

    step: Step
    start: float
    end: float


def expected_steps(played: list[PlayedStep]) -> list[PlayedStep]:
    """The steps that must raise an anomaly."""
    return [p for p in played if p.step.expect is not None]
