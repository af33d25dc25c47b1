"""What an interviewer needs to continue an interview an earlier job started.

Filled from the control API's ``POST /agent/interviews/{id}/resume`` answer when a job
takes over a running interview (its first worker died): what was already said, and when
the interview began (its time budget counts from there, not from the takeover).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resume:
    """What an earlier job of this interview already did."""

    said: frozenset[str] = frozenset()
    """Texts the interviewer already spoke (the plan is deterministic: matched by text)."""
    started_at: float | None = None
    """Epoch seconds of the interview's first turn."""
