"""Competencies drawn from a job description, for the offline evaluation.

A job description is read the way a person skims it: the bulleted lines under headings
such as "Requirements" or "What you will do" are the competencies; without bullets, the
sentences that ask for something ("experience with", "you will") are. Each competency
keeps the content words of its line as keywords (generic words such as "experience" or
"strong" removed), and is marked ``both`` when the resume mentions one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from control_api.reports.evidence import normalise
from control_api.reports.schema import CompetencySource

MAX_COMPETENCIES = 8
MAX_NAME_CHARS = 80

_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2023\u25e6\u00b7\u2013]|\d{1,2}[.)])\s+(.+?)\s*$")
_HEADING_CUES = (
    "requirement",
    "qualification",
    "must have",
    "skills",
    "you have",
    "you bring",
    "you will",
    "looking for",
    "responsibilit",
    "what you",
    "nice to have",
    "bonus",
    "preferred",
    "about you",
)
_SENTENCE_CUES = (
    "experience",
    "knowledge of",
    "proficien",
    "familiar",
    "ability to",
    "you will",
    "you have",
    "skilled in",
    "expertise",
)
_LEAD_IN = re.compile(
    r"^(?:(?:\d+\+?\s*(?:years?|yrs)\s*(?:of\s+)?(?:professional\s+)?(?:experience\s+)?"
    r"(?:in|with|building|using|of)?\s*)|(?:(?:proven|strong|solid|deep|hands-on|good|"
    r"excellent|demonstrated)\s+)?(?:experience|knowledge|understanding|familiarity|"
    r"proficiency|expertise)\s+(?:(?:in|with|of|using|building)\s+|(?=\w+ing\b))|(?:strong|solid|proven|"
    r"excellent|good)\s+|you will\s+|you have\s+|ability to\s+)",
    re.IGNORECASE,
)
_GENERIC_TEXT = """
    a an and are as at be been being by can do for from has have in is it its of on or our
    the their this to was we what who will with you your they them us etc e g i e such also
    into across within well other any all more most some very who which that these those
    experience experienced years year yrs strong proven solid deep good great excellent
    knowledge ability able skills skill skilled working work works familiarity familiar
    understanding proficiency proficient expertise plus including include includes using
    use used similar relevant related environment environments field nice bonus must should
    preferred required requirement requirements ideally least minimum hands demonstrated
    comfortable love enjoy like want looking role job candidate company day days new
    another etc
"""
GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ers", "er", "ed", "es", "s")


def stem(word: str) -> str:
    """A crude suffix stripper: ``deploying``, ``deployed``, ``deployment`` -> ``deploy``."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            # running -> runn -> run, modelling -> modell -> model (but process stays)
            if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "sz":
                word = word[:-1]
            return word
    return word


@dataclass(frozen=True, slots=True)
class Requirement:
    name: str
    keywords: tuple[str, ...]
    """Normalised content words of the requirement, in order of appearance."""
    source: CompetencySource
    distinctive: tuple[str, ...] = ()
    """Keywords written as names in the job text (``Kafka``, ``REST``, ``PostgreSQL``)."""

    @property
    def stems(self) -> frozenset[str]:
        return frozenset(stem(k) for k in self.keywords)

    @property
    def distinctive_stems(self) -> frozenset[str]:
        return frozenset(stem(k) for k in self.distinctive)


def keywords_of(text: str) -> tuple[str, ...]:
    """Content words of ``text``: normalised, generic words removed, first occurrence kept."""
    seen: dict[str, None] = {}
    for word in normalise(text).split():
        if word in GENERIC_WORDS or word.isdigit() or len(word) < 2:
            continue
        seen.setdefault(word, None)
    return tuple(seen)


_NAME_WORD = re.compile(r"[^\W_]+")
_LINE_STARTER_TEXT = (
    "clear design build own write lead drive collaborate communicate deliver maintain "
    "develop support mentor manage create improve define partner help ensure run operate "
    "great fluent written spoken verbal effective attention"
)
_LINE_STARTERS = frozenset(_LINE_STARTER_TEXT.split())


def distinctive_keywords(text: str) -> tuple[str, ...]:
    """Keywords written as names: ``PostgreSQL``, ``REST``, a capitalised word mid-line,
    or a capitalised first word that is not a usual way to start a line (``Kafka`` but
    not ``Design`` or ``Running``)."""
    found: dict[str, None] = {}
    for i, match in enumerate(_NAME_WORD.finditer(text)):
        word = match.group()
        norm = normalise(word)
        if norm in GENERIC_WORDS or not any(c.isupper() for c in word):
            continue
        inner_capital = any(c.isupper() for c in word[1:])
        first_word_name = (
            i == 0 and norm not in _LINE_STARTERS and not norm.endswith(("ing", "ed", "ly"))
        )
        if inner_capital or i > 0 or first_word_name:
            found.setdefault(norm, None)
    return tuple(found)


def _is_heading(line: str) -> bool:
    words = line.split()
    return bool(words) and (line.endswith(":") or (len(words) <= 6 and not line.endswith(".")))


def _clean_name(text: str) -> str:
    text = text.strip().rstrip(".;,")
    stripped = _LEAD_IN.sub("", text, count=1).strip() or text
    name = stripped[0].upper() + stripped[1:]
    if len(name) > MAX_NAME_CHARS:
        name = name[:MAX_NAME_CHARS].rsplit(" ", 1)[0] + "…"
    return name


def _bullets(job_description: str) -> list[str]:
    """Bulleted lines, preferring those under requirement-like headings."""
    preferred: list[str] = []
    other: list[str] = []
    heading = ""
    for raw in job_description.splitlines():
        line = raw.strip()
        if not line:
            continue
        bullet = _BULLET.match(raw)
        if bullet:
            target = preferred if any(c in heading for c in _HEADING_CUES) else other
            target.append(bullet.group(1))
        elif _is_heading(line):
            heading = line.casefold()
    return preferred or other


def _cue_sentences(job_description: str) -> list[str]:
    sentences = re.split(r"(?<=[.!?;])\s+|\n+", job_description)
    return [s for s in sentences if any(c in s.casefold() for c in _SENTENCE_CUES)]


def extract_requirements(job_description: str, resume_text: str = "") -> list[Requirement]:
    """Up to :data:`MAX_COMPETENCIES` competencies from the job text, in its order."""
    lines = _bullets(job_description) or _cue_sentences(job_description)
    resume_words = {stem(w) for w in normalise(resume_text).split()}
    found: list[Requirement] = []
    seen_keys: set[frozenset[str]] = set()
    for line in lines:
        name = _clean_name(line)
        keywords = keywords_of(name)
        if not keywords:
            continue
        key = frozenset(stem(k) for k in keywords)
        if key in seen_keys:
            continue
        seen_keys.add(key)
        in_resume = bool(key & resume_words)
        source = CompetencySource.BOTH if in_resume else CompetencySource.JOB_DESCRIPTION
        distinctive = tuple(k for k in distinctive_keywords(name) if k in keywords)
        found.append(
            Requirement(name=name, keywords=keywords, source=source, distinctive=distinctive)
        )
        if len(found) == MAX_COMPETENCIES:
            break
    return found
