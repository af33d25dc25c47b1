"""Recognise the text a turn holds when nobody transcribed it.

The offline interviewer has no speech recogniser: it stores each candidate answer with a
placeholder (``agent.records.NOT_TRANSCRIBED``, "[not transcribed: ...]") so the turn's
timing is kept. Those words are the agent's, not the candidate's: the report must not
count them, quote them or score them. The check lives here, not in the agent, because the
API must also read turns stored by other versions of the agent (any bracketed text that
starts with "not transcribed").
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"^\s*\[\s*(?:answer\s+)?not\s+transcribed\b[^\]]*\]\s*$", re.IGNORECASE)


def is_untranscribed(text: str) -> bool:
    """Whether ``text`` is a placeholder for an answer that was not transcribed."""
    return bool(_PLACEHOLDER.match(text))


def word_count(text: str) -> int:
    """The candidate's words in a turn: none for a placeholder."""
    return 0 if is_untranscribed(text) else len(text.split())
