"""The evidence check: a claim stands only on words the candidate actually said.

Rule (also in docs/report-schema.md, and stored in every report as ``evidence_check.rule``):

1. Text is normalised: Unicode NFKC, case folded, apostrophes removed (``don't`` = ``dont``),
   every other punctuation or symbol is a word break, whitespace collapsed.
2. A quote of fewer than :data:`MIN_QUOTE_WORDS` words is rejected (too short to show
   anything: ``"Python"`` appears in any transcript about Python).
3. The normalised quote must appear, on word boundaries, in a candidate turn: first the
   turn the evaluator named, then any candidate turn (the evaluator may cite the wrong
   turn id; the report then cites the right one). Interviewer turns never count.
4. Fuzzy tolerance, for quotes of at least :data:`FUZZY_MIN_WORDS` words only: a window
   of the turn's words (the quote's length, plus or minus one word) whose word-level
   similarity (difflib ratio, 2 x matches / total words) is at least
   :data:`FUZZY_MIN_RATIO`. A ten-word quote may thus differ by one word (a transcription
   variant), never by a clause.
5. The quote kept in the report is the transcript's own text for the matched words.

A competency is ``assessed`` only with a score and at least one accepted quote; otherwise
it is ``not_assessed`` with no score, whatever the evaluator said.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

from control_api.reports.inputs import CompetencyClaim, QuoteClaim, Turn
from control_api.reports.schema import (
    AssessmentStatus,
    Competency,
    Evidence,
    EvidenceCheck,
    MatchKind,
    RejectedEvidence,
)

MIN_QUOTE_WORDS = 3
FUZZY_MIN_WORDS = 6
FUZZY_MIN_RATIO = 0.9
EVIDENCE_RULE = (
    f"A quote stands if, after normalising case, Unicode, punctuation and whitespace, it "
    f"appears word for word in one of the candidate's turns, or (quotes of "
    f"{FUZZY_MIN_WORDS}+ words) matches a window of the turn at word similarity >= "
    f"{FUZZY_MIN_RATIO}. Quotes under {MIN_QUOTE_WORDS} words and interviewer words are "
    f"rejected. A competency without an accepted quote is not assessed."
)

_WORD = re.compile(r"[^\W_]+(?:['\u2019\u02bc][^\W_]+)*")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc")


def normalise_word(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold().translate(_APOSTROPHES)


@dataclass(frozen=True, slots=True)
class _Token:
    norm: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    text = unicodedata.normalize("NFKC", text)
    return [_Token(normalise_word(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def normalise(text: str) -> str:
    """The normalised form of ``text`` (rule 1): lower-case words separated by one space."""
    return " ".join(t.norm for t in _tokens(text))


@dataclass(frozen=True, slots=True)
class QuoteMatch:
    turn: Turn
    quote: str
    """The transcript's own words for the match."""
    kind: MatchKind
    similarity: float


def _original(turn: Turn, tokens: list[_Token], first: int, last: int) -> str:
    text = unicodedata.normalize("NFKC", turn.text)
    return text[tokens[first].start : tokens[last].end]


def match_in_turn(quote_words: list[str], turn: Turn) -> QuoteMatch | None:
    """Where the quote's normalised words occur in ``turn`` (rules 3 and 4), if anywhere."""
    tokens = _tokens(turn.text)
    words = [t.norm for t in tokens]
    n = len(quote_words)
    if n == 0 or not words:
        return None
    for i in range(len(words) - n + 1):
        if words[i : i + n] == quote_words:
            return QuoteMatch(turn, _original(turn, tokens, i, i + n - 1), MatchKind.EXACT, 1.0)
    if n < FUZZY_MIN_WORDS:
        return None
    # A window can reach the ratio only if it shares enough words with the quote
    # (2M / (n + size) >= ratio with size >= n - 1): skip turns that cannot, cheaply.
    needed = math.ceil(FUZZY_MIN_RATIO * (2 * n - 1) / 2)
    if sum((Counter(words) & Counter(quote_words)).values()) < needed:
        return None
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(quote_words)  # the cached side: the quote
    best: tuple[float, int, int] | None = None
    for size in (n, n - 1, n + 1):
        for i in range(max(0, len(words) - size + 1)):
            window = words[i : i + size]
            matcher.set_seq1(window)
            if matcher.quick_ratio() < FUZZY_MIN_RATIO:
                continue
            ratio = matcher.ratio()
            if best is None or ratio > best[0]:
                best = (ratio, i, i + len(window) - 1)
    if best is None or best[0] < FUZZY_MIN_RATIO:
        return None
    ratio, first, last = best
    return QuoteMatch(turn, _original(turn, tokens, first, last), MatchKind.FUZZY, round(ratio, 3))


def find_quote(claim: QuoteClaim, turns: tuple[Turn, ...]) -> QuoteMatch | str:
    """The match for one quoted claim, or the reason it is rejected."""
    words = normalise(claim.quote).split()
    if len(words) < MIN_QUOTE_WORDS:
        return f"shorter than {MIN_QUOTE_WORDS} words: too short to be evidence"
    candidate = [t for t in turns if t.role == "candidate"]
    named = [t for t in candidate if claim.turn_id is not None and t.id == claim.turn_id]
    others = [t for t in candidate if t not in named]
    for turn in (*named, *others):
        found = match_in_turn(words, turn)
        if found is not None:
            return found
    if any(match_in_turn(words, t) for t in turns if t.role != "candidate"):
        return "spoken by the interviewer, not the candidate"
    return "not found in the candidate's words"


def _evidence(found: QuoteMatch) -> Evidence:
    return Evidence(
        turn_id=found.turn.id,
        quote=found.quote,
        turn_started_at=found.turn.started_at,
        offset_seconds=round(found.turn.offset_seconds, 3),
        match=found.kind,
        similarity=found.similarity,
    )


def slug(name: str, taken: set[str]) -> str:
    """A stable id for a competency name, unique within one report."""
    base = "-".join(normalise(name).split()[:8]) or "competency"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def verify_claims(
    claims: tuple[CompetencyClaim, ...], turns: tuple[Turn, ...]
) -> tuple[list[Competency], EvidenceCheck]:
    """Apply the evidence check to every claim; see the module docstring for the rule."""
    checked = accepted = rejected_total = rejected_competencies = 0
    taken: set[str] = set()
    competencies: list[Competency] = []
    for claim in claims:
        evidence: list[Evidence] = []
        rejected: list[RejectedEvidence] = []
        seen: set[tuple[str, str]] = set()
        for quote in claim.quotes:
            checked += 1
            found = find_quote(quote, turns)
            if isinstance(found, str):
                rejected.append(
                    RejectedEvidence(quote=quote.quote, turn_id=quote.turn_id, reason=found)
                )
                continue
            accepted += 1
            key = (found.turn.id, normalise(found.quote))
            if key not in seen:
                seen.add(key)
                evidence.append(_evidence(found))
        rejected_total += len(rejected)
        evidence.sort(key=lambda e: (e.offset_seconds, e.turn_id))
        assessed = claim.score is not None and bool(evidence)
        rationale = claim.rationale
        if claim.score is not None and not evidence:
            rejected_competencies += 1
            rationale = (
                f"Not assessed: the evaluator scored this {claim.score}/5, but none of its "
                f"{len(claim.quotes)} quote(s) appear in the candidate's words, so the claim "
                f"was rejected. Evaluator's rationale, for reference: {claim.rationale}"
            )
        competencies.append(
            Competency(
                id=slug(claim.name, taken),
                name=claim.name,
                source=claim.source,
                status=AssessmentStatus.ASSESSED if assessed else AssessmentStatus.NOT_ASSESSED,
                score=claim.score if assessed else None,
                rationale=rationale,
                evidence=evidence,
                rejected_evidence=rejected,
            )
        )
    check = EvidenceCheck(
        rule=EVIDENCE_RULE,
        quotes_checked=checked,
        quotes_accepted=accepted,
        quotes_rejected=rejected_total,
        competencies_rejected=rejected_competencies,
    )
    return competencies, check
