"""Sensitivity presets: how quickly each signal raises, how easily it clears, how severe it is.

Three presets, chosen per interview by the recruiter:

* ``lenient``: flags only what persists; for relaxed screening calls and poor connections.
* ``standard``: the default.
* ``strict``: flags sooner and rates the same evidence as more severe; for assessments
  where a few seconds of someone else on camera matter.

Where the numbers come from (latencies below are for a clean candidate replaced by someone
else, with readings every 0.5 s for faces and every 3 s of speech for voice; the rules of
:mod:`proctoring.smoothing` with the parameters below set them):

Faces (about 2 readings per second, more while a face anomaly is being confirmed, see
below; ``max_gap_seconds`` 5 s because a stalled camera or an overloaded worker can pause
frames for a few seconds without anyone leaving). Two rules raise, whichever is first:
the window rule (window, share to raise, fewest decided readings) catches intermittent
anomalies; the fast rule (an unbroken run of N anomalous readings spanning at least S
seconds; uncertain readings in the run are skipped, a clean one breaks it) confirms a
sustained one within about a second:

==============  =========================  =========================  =========================
signal          lenient                    standard                   strict
==============  =========================  =========================  =========================
face_mismatch   10 s, 75%, 10; -; ~7 s     6 s, 60%, 6; 3 in 0.8 s;   4 s, 50%, 4; 2 in 0.5 s;
                                           ~1 s                       ~0.5 s
multiple_faces  10 s, 60%, 10; -; ~5.5 s   6 s, 50%, 6; 4 in 1.5 s;   4 s, 40%, 4; 3 in 1 s;
                                           ~1.5 s                     ~1 s
no_face         20 s, 85%, 20; -; ~16.5 s  10 s, 80%, 10; -; ~7.5 s   6 s, 70%, 6; -; ~4 s
==============  =========================  =========================  =========================

(window rule; fast rule; time from the first anomalous reading to the confirming one at a
steady 2 readings per second after a minute of clean readings, as
``tests/test_smoothing.py`` checks.) Live, the agent samples the next frames at once (up to
5 per second) after an anomalous face reading until the anomaly is confirmed or cleared, so
at standard a swap is confirmed 0.8-1 s after the first frame showing it: with the wait for
the next 2 fps sample (up to 0.5 s), the engine's time on the confirming frame and the
delivery through LiveKit, the proctor sees an impostor about 1.5 s after they appear: p50
1.3-1.55 s, p95 1.54-1.83 s over three runs through the real server
(``docs/benchmarks-agent.md``; it was p50 4.0 s, p95 4.4 s with the window rule alone). The
price is a shorter tolerance: at standard an unbroken run of mismatching frames shorter than
0.8 s (one or two frames at 2 fps) raises nothing; a turned head or a motion blur mostly
gives uncertain readings, which neither raise nor clear, and a single clean frame breaks the
run. A second face waits for 1.5 s of unbroken evidence, so someone crossing the room behind
the candidate in a second is not flagged. A missing face is the mildest and the most common
innocent signal (looking down at notes, adjusting the camera), so it has no fast rule and
waits 7.5 s. Lenient keeps the window rule only: it flags only what persists. Clean time to
end: 5 s for a mismatch (the enrolled face must really be back), 4 s for a second face, 2 s
for a missing face (the face reappearing is unambiguous).

Voice (one reading per speech segment, about 3 s; ``max_gap_seconds`` 20 s because the
candidate is silent while the interviewer speaks, and clean time must not bridge a whole
question):

=================  =========================  ==========================  ==========================
signal             lenient                    standard                    strict
=================  =========================  ==========================  ==========================
voice_mismatch     30 s, 70%, 4; ~18 s        20 s, 60%, 3; ~12 s         15 s, 50%, 2; ~6 s
second_speaker     30 s, 60%, 3; ~15 s        20 s, 50%, 2; ~9 s          15 s, 40%, 3; ~3 s
=================  =========================  ==========================  ==========================

A voice verdict on 3 s of speech is right about 99% of the time (GE2E EER under 1%), but a
single segment still is a single opinion: at least two or three agreeing segments are
needed. Voice ends after 15 s of clean speech (10 s strict, 20 s lenient): a few answers'
worth of the enrolled voice.

Severity of smoothed signals comes from the anomaly's confidence (mean confidence of its
anomalous readings times their share of decided readings), with a floor and a ceiling by
type: an identity mismatch is never less than medium, a missing face never more than
medium. Strict lowers the confidence thresholds by 0.1, lenient raises them by 0.05.

Conditions (camera off, microphone off, candidate left, connection lost, an extra camera or
microphone published) are facts reported by LiveKit, so they are not smoothed, only
debounced: they start once they have lasted the debounce time (a camera switch or a
reconnect takes a second or two; an extra track 3 s at standard) and their start time is
when they began. Their severity is fixed by type: losing the connection is usually not
the candidate's doing, so it is low; the others are medium.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from contracts.anomaly import AnomalyType, Severity
from contracts.interview_context import Sensitivity
from proctoring.smoothing import SmoothingConfig


@dataclass(frozen=True, slots=True)
class SeverityRule:
    """Confidence thresholds for medium and high; ``None`` means never that level."""

    medium_at: float | None
    high_at: float | None

    def severity(self, confidence: float) -> Severity:
        if self.high_at is not None and confidence >= self.high_at:
            return Severity.HIGH
        if self.medium_at is not None and confidence >= self.medium_at:
            return Severity.MEDIUM
        return Severity.LOW

    def shifted(self, delta: float) -> SeverityRule:
        """Thresholds moved by ``delta`` (a floor of 0 stays a floor)."""

        def move(threshold: float | None) -> float | None:
            if threshold is None or threshold <= 0.0:
                return threshold
            return round(min(1.0, max(0.0, threshold + delta)), 4)

        return SeverityRule(medium_at=move(self.medium_at), high_at=move(self.high_at))


@dataclass(frozen=True, slots=True)
class ConditionConfig:
    """A LiveKit-reported condition: how long it must last, and how severe it is."""

    debounce_seconds: float
    severity: Severity


@dataclass(frozen=True, slots=True)
class SensitivityPreset:
    name: Sensitivity
    smoothing: Mapping[AnomalyType, SmoothingConfig]
    severity: Mapping[AnomalyType, SeverityRule]
    conditions: Mapping[AnomalyType, ConditionConfig]


_FACE_GAP = 5.0
_VOICE_GAP = 20.0

# Standard severity rules; medium_at 0.0 is a floor of medium, high_at None a ceiling.
_SEVERITY = {
    AnomalyType.FACE_MISMATCH: SeverityRule(medium_at=0.0, high_at=0.75),
    AnomalyType.VOICE_MISMATCH: SeverityRule(medium_at=0.0, high_at=0.8),
    AnomalyType.MULTIPLE_FACES: SeverityRule(medium_at=0.5, high_at=0.85),
    AnomalyType.SECOND_SPEAKER: SeverityRule(medium_at=0.5, high_at=0.85),
    AnomalyType.NO_FACE: SeverityRule(medium_at=0.8, high_at=None),
}
_SEVERITY_SHIFT = {Sensitivity.LENIENT: 0.05, Sensitivity.STANDARD: 0.0, Sensitivity.STRICT: -0.1}

# (window_seconds, raise_share, min_decided, clean_seconds) per preset; see module docstring.
_SMOOTHING: dict[AnomalyType, dict[Sensitivity, tuple[float, float, int, float]]] = {
    AnomalyType.FACE_MISMATCH: {
        Sensitivity.LENIENT: (10.0, 0.75, 10, 5.0),
        Sensitivity.STANDARD: (6.0, 0.6, 6, 5.0),
        Sensitivity.STRICT: (4.0, 0.5, 4, 5.0),
    },
    AnomalyType.MULTIPLE_FACES: {
        Sensitivity.LENIENT: (10.0, 0.6, 10, 4.0),
        Sensitivity.STANDARD: (6.0, 0.5, 6, 4.0),
        Sensitivity.STRICT: (4.0, 0.4, 4, 4.0),
    },
    AnomalyType.NO_FACE: {
        Sensitivity.LENIENT: (20.0, 0.85, 20, 2.0),
        Sensitivity.STANDARD: (10.0, 0.8, 10, 2.0),
        Sensitivity.STRICT: (6.0, 0.7, 6, 2.0),
    },
    AnomalyType.VOICE_MISMATCH: {
        Sensitivity.LENIENT: (30.0, 0.7, 4, 20.0),
        Sensitivity.STANDARD: (20.0, 0.6, 3, 15.0),
        Sensitivity.STRICT: (15.0, 0.5, 2, 10.0),
    },
    AnomalyType.SECOND_SPEAKER: {
        Sensitivity.LENIENT: (30.0, 0.6, 3, 20.0),
        Sensitivity.STANDARD: (20.0, 0.5, 2, 15.0),
        Sensitivity.STRICT: (15.0, 0.4, 3, 10.0),
    },
}
# Fast rule (confirm_readings, confirm_seconds) per preset; None: the window rule only.
# See the module docstring: it is what brings an impostor to the proctor within 2 s.
_CONFIRM: dict[AnomalyType, dict[Sensitivity, tuple[int, float] | None]] = {
    AnomalyType.FACE_MISMATCH: {
        Sensitivity.LENIENT: None,
        Sensitivity.STANDARD: (3, 0.8),
        Sensitivity.STRICT: (2, 0.5),
    },
    AnomalyType.MULTIPLE_FACES: {
        Sensitivity.LENIENT: None,
        Sensitivity.STANDARD: (4, 1.5),
        Sensitivity.STRICT: (3, 1.0),
    },
}
_GAP = {
    AnomalyType.FACE_MISMATCH: _FACE_GAP,
    AnomalyType.MULTIPLE_FACES: _FACE_GAP,
    AnomalyType.NO_FACE: _FACE_GAP,
    AnomalyType.VOICE_MISMATCH: _VOICE_GAP,
    AnomalyType.SECOND_SPEAKER: _VOICE_GAP,
}

# Debounce seconds per preset (lenient, standard, strict) and the fixed severity.
_CONDITIONS: dict[AnomalyType, tuple[tuple[float, float, float], Severity]] = {
    AnomalyType.CAMERA_OFF: ((10.0, 5.0, 2.0), Severity.MEDIUM),
    AnomalyType.MIC_OFF: ((10.0, 5.0, 2.0), Severity.MEDIUM),
    AnomalyType.CANDIDATE_LEFT: ((20.0, 10.0, 5.0), Severity.MEDIUM),
    AnomalyType.CONNECTION_LOST: ((20.0, 10.0, 5.0), Severity.LOW),
    # A second device is deliberate, not a glitch; the short debounce only skips a browser
    # publishing the new track an instant before withdrawing the old one.
    AnomalyType.EXTRA_CAMERA: ((5.0, 3.0, 1.0), Severity.MEDIUM),
    AnomalyType.EXTRA_MICROPHONE: ((5.0, 3.0, 1.0), Severity.MEDIUM),
}
_ORDER = (Sensitivity.LENIENT, Sensitivity.STANDARD, Sensitivity.STRICT)


def _build(name: Sensitivity) -> SensitivityPreset:
    smoothing = {
        signal: SmoothingConfig(
            window_seconds=window,
            raise_share=share,
            min_decided=min_decided,
            clean_seconds=clean,
            max_gap_seconds=_GAP[signal],
            confirm_readings=None if confirm is None else confirm[0],
            confirm_seconds=0.0 if confirm is None else confirm[1],
        )
        for signal, by_preset in _SMOOTHING.items()
        for window, share, min_decided, clean in [by_preset[name]]
        for confirm in [_CONFIRM.get(signal, {}).get(name)]
    }
    severity = {signal: rule.shifted(_SEVERITY_SHIFT[name]) for signal, rule in _SEVERITY.items()}
    conditions = {
        signal: ConditionConfig(debounce_seconds=debounces[_ORDER.index(name)], severity=level)
        for signal, (debounces, level) in _CONDITIONS.items()
    }
    return SensitivityPreset(
        name=name,
        smoothing=MappingProxyType(smoothing),
        severity=MappingProxyType(severity),
        conditions=MappingProxyType(conditions),
    )


PRESETS: Mapping[Sensitivity, SensitivityPreset] = MappingProxyType(
    {name: _build(name) for name in Sensitivity}
)


def preset(sensitivity: Sensitivity | str) -> SensitivityPreset:
    """The preset for a name such as ``"standard"``; raises ``ValueError`` on unknown names."""
    return PRESETS[Sensitivity(sensitivity)]
