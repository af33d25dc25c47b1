"""Which of the candidate's camera (or microphone) tracks the agent judges.

A candidate can publish several tracks of one source: a second webcam, a phone joined as
another camera, a second microphone. Each verdict must be about one defined feed, and the
proctor must be able to look at that same feed, so the agent judges exactly one track per
source: **the first one published that is still published**, kept for as long as it stays
published. Muting it does not hand the role to another track (a muted judged camera is
``camera_off``): were the choice made afresh at every change, the candidate could pick the
feed that is judged by muting the others, and the proctor's view would flip with it. When
the judged track is withdrawn, the oldest remaining one takes over; a track published
again is a new track and queues behind those already there.

Every other track of the source is an *extra*: the live pipeline raises ``extra_camera``
or ``extra_microphone`` while there is one, and names the judged and the extra sids so the
proctor's page can show the judged camera and say the others are not checked.

"First published" is the order in which the agent first saw the tracks; tracks already
there when the agent arrives keep the order the server lists them in. The heartbeat names
the result, so the proctor's page never has to repeat this reasoning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TrackChoice:
    """The judged track of one source (None: none published) and the others, oldest first."""

    judged: str | None
    extras: tuple[str, ...]


class JudgedTrack:
    """Keeps the judged track of one source across the participant's track changes."""

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}  # the published sids, in the order first seen

    @property
    def judged(self) -> str | None:
        return next(iter(self._seen), None)

    def update(self, published: Iterable[str]) -> TrackChoice:
        """Take the sids published now (this source only); return the choice they give."""
        present = dict.fromkeys(published)
        for sid in present:
            self._seen.setdefault(sid, None)
        for sid in [s for s in self._seen if s not in present]:
            del self._seen[sid]
        judged = self.judged
        return TrackChoice(judged, tuple(s for s in self._seen if s != judged))
