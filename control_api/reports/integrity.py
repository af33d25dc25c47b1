"""The integrity verdict that opens a report, derived only from proctoring facts.

A recruiter reads the first line of a report and stops; that line must therefore say the
most serious thing the server knows, in words, and never come from a language model. The
verdict is a pure function of the timeline (stored anomalies with the proctor's decision
in force), so a later decision changes it on the next read (docs/architecture.md, the
report's two sources of truth). The identity check before the interview ("Identity not
verified") stays a separate line shown above it.

Precedence, most serious first: an identity anomaly confirmed by the proctor; any other
confirmed anomaly; a high-severity or identity anomaly with no decision; lower-severity
anomalies with no decision; every anomaly dismissed; nothing recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.anomaly import AnomalyType
from control_api.reports.schema import (
    DecisionKind,
    IntegrityLevel,
    IntegrityState,
    IntegrityVerdict,
    TimelineItem,
)

IDENTITY_TYPES = frozenset({AnomalyType.FACE_MISMATCH.value, AnomalyType.VOICE_MISMATCH.value})
"""Anomalies that say the person is not the candidate (an impostor, not a distraction)."""

_HEADLINES: dict[IntegrityState, tuple[str, IntegrityLevel]] = {
    IntegrityState.IDENTITY_CONFIRMED: (
        "Identity concern confirmed by proctor",
        IntegrityLevel.SERIOUS,
    ),
    IntegrityState.CONFIRMED: ("Integrity concern confirmed by proctor", IntegrityLevel.SERIOUS),
    IntegrityState.UNREVIEWED: ("Integrity flags raised, not reviewed", IntegrityLevel.SERIOUS),
    IntegrityState.MINOR_UNREVIEWED: (
        "Minor flags raised, not reviewed",
        IntegrityLevel.CAUTION,
    ),
    IntegrityState.DISMISSED: ("Flags dismissed by proctor", IntegrityLevel.CLEAR),
    IntegrityState.CLEAN: ("No integrity concern recorded", IntegrityLevel.CLEAR),
}


def _label(item: TimelineItem) -> str:
    return item.type.replace("_", " ")


def _names(items: Sequence[TimelineItem]) -> str:
    kinds = sorted({_label(i) for i in items})
    return ", ".join(kinds)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def integrity_verdict(timeline: Sequence[TimelineItem]) -> IntegrityVerdict:
    """The verdict for a report's timeline (``decision`` is the one in force per anomaly)."""
    confirmed = [i for i in timeline if i.decision is DecisionKind.CONFIRM]
    pending = [i for i in timeline if i.decision is None]
    dismissed = [i for i in timeline if i.decision is DecisionKind.DISMISS]
    identity_confirmed = [i for i in confirmed if i.type in IDENTITY_TYPES]
    serious_pending = [i for i in pending if i.severity == "high" or i.type in IDENTITY_TYPES]
    if identity_confirmed:
        state, evidence = IntegrityState.IDENTITY_CONFIRMED, identity_confirmed
        detail = (
            f"The proctor confirmed {_plural(len(evidence), 'anomaly')} saying the person "
            f"was not the candidate ({_names(evidence)}). The rubric below may describe someone "
            "other than the candidate."
        )
    elif confirmed:
        state, evidence = IntegrityState.CONFIRMED, confirmed
        detail = f"The proctor confirmed {_plural(len(evidence), 'anomaly')} ({_names(evidence)})."
    elif serious_pending:
        state, evidence = IntegrityState.UNREVIEWED, serious_pending
        detail = (
            f"{_plural(len(evidence), 'serious flag')} ({_names(evidence)}) "
            "no one has confirmed or dismissed yet; review them before relying on the rubric."
        )
    elif pending:
        state, evidence = IntegrityState.MINOR_UNREVIEWED, pending
        detail = (
            f"{_plural(len(evidence), 'low or medium severity flag')} ({_names(evidence)}) "
            "not reviewed by a proctor."
        )
    elif dismissed:
        state, evidence = IntegrityState.DISMISSED, dismissed
        detail = f"The proctor dismissed every flag raised ({_names(evidence)})."
    else:
        state, evidence = IntegrityState.CLEAN, []
        detail = "The proctoring recorded no anomaly during the interview."
    headline, level = _HEADLINES[state]
    return IntegrityVerdict(
        state=state,
        level=level,
        headline=headline,
        detail=detail,
        evidence=[i.anomaly_id for i in evidence],
    )
