"""Speaker folds for the voice benchmark: which speakers are held out, which calibrate.

Why people and not segments: segments of one speaker share a voice, so a threshold chosen on
some of a speaker's segments has already seen the voice it is then judged on. Holding out
whole speakers is the only way ten speakers can say anything about speakers never seen.

Leave-two-out is used because it is the smallest held-out set that still has impostor
trials (two different held-out speakers), and its 45 folds (for 10 speakers) are exactly
9 rounds of a 5-fold split where every pair of speakers is held out together once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class SpeakerFold:
    """One fold: speakers reported on and the disjoint speakers everything is chosen on."""

    held_out: frozenset[str]
    calibration: frozenset[str]

    def __post_init__(self) -> None:
        if self.held_out & self.calibration:
            raise ValueError("a speaker cannot be both held out and used for calibration")


def leave_n_out(speakers: Sequence[str], n: int = 2) -> list[SpeakerFold]:
    """Every set of ``n`` speakers held out in turn; the others calibrate.

    At least two calibration speakers are needed, or the calibration set has no impostors.
    """
    unique = sorted(set(speakers))
    if n < 2:
        raise ValueError("hold out at least two speakers, or there are no impostor trials")
    if len(unique) < n + 2:
        raise ValueError(f"need at least {n + 2} speakers to hold out {n}")
    everyone = frozenset(unique)
    return [
        SpeakerFold(frozenset(held), everyone - frozenset(held)) for held in combinations(unique, n)
    ]
