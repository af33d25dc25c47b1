"""The evidence check: quotes stand only on the candidate's own words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from control_api.reports.evidence import find_quote, normalise, verify_claims
from control_api.reports.inputs import CompetencyClaim, QuoteClaim, Turn
from control_api.reports.schema import AssessmentStatus, CompetencySource, MatchKind

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def turn(turn_id: str, role: str, second: float, text: str) -> Turn:
    return Turn(turn_id, role, text, T0 + timedelta(seconds=second), second)


TURNS = (
    turn("q1", "interviewer", 3, "Tell me about the refunds API you built at Finch."),
    turn(
        "a1",
        "candidate",
        10,
        "Sure — I designed the refunds API in Python, and I didn't allow a refund "
        "to run twice: every POST carried an idempotency key.",
    ),
    turn("a2", "candidate", 60, "We cut the reconciliation query from four seconds to 80 ms."),
)


def claim(score: int | None, *quotes: QuoteClaim) -> CompetencyClaim:
    return CompetencyClaim("APIs", CompetencySource.JOB_DESCRIPTION, score, "why", quotes)


def test_normalise_folds_case_unicode_punctuation_and_apostrophes() -> None:
    assert normalise("  I DIDN’T —  allow it,\tTWICE! ") == "i didnt allow it twice"
    assert normalise("ﬁnal Café") == "final café"


def test_exact_match_ignores_case_and_punctuation_and_keeps_transcript_words() -> None:
    found = find_quote(QuoteClaim("i didnt allow a refund to run TWICE", "a1"), TURNS)
    assert not isinstance(found, str)
    assert found.turn.id == "a1"
    assert found.kind is MatchKind.EXACT
    assert found.quote == "I didn't allow a refund to run twice"


def test_wrong_turn_id_is_corrected_to_the_turn_that_holds_the_quote() -> None:
    found = find_quote(QuoteClaim("from four seconds to 80 ms", "a1"), TURNS)
    assert not isinstance(found, str)
    assert found.turn.id == "a2"


def test_fuzzy_match_tolerates_one_word_in_a_long_quote_only() -> None:
    one_word_off = QuoteClaim(
        "I didnt allow a refund to run twice, every POST carried an idempotent key", "a1"
    )
    found = find_quote(one_word_off, TURNS)
    assert not isinstance(found, str)
    assert found.kind is MatchKind.FUZZY
    assert 0.9 <= found.similarity < 1.0
    assert found.quote == (
        "I didn't allow a refund to run twice: every POST carried an idempotency key"
    )
    short_one_word_off = QuoteClaim("every POST carried an idempotent key", "a1")
    assert find_quote(short_one_word_off, TURNS) == "not found in the candidate's words"
    rewritten = QuoteClaim("I never let a refund happen twice since each request had a token")
    assert find_quote(rewritten, TURNS) == "not found in the candidate's words"


def test_short_fabricated_and_interviewer_quotes_are_rejected_with_reasons() -> None:
    assert "too short" in str(find_quote(QuoteClaim("Python", "a1"), TURNS))
    assert find_quote(QuoteClaim("I led a team of forty engineers"), TURNS) == (
        "not found in the candidate's words"
    )
    assert find_quote(QuoteClaim("tell me about the refunds API"), TURNS) == (
        "spoken by the interviewer, not the candidate"
    )


def test_a_score_without_accepted_quotes_becomes_not_assessed() -> None:
    competencies, check = verify_claims(
        (
            claim(5, QuoteClaim("I led a team of forty engineers", "a1")),
            claim(4, QuoteClaim("I designed the refunds API in Python", "a1")),
            claim(3),
        ),
        TURNS,
    )
    fabricated, real, unquoted = competencies
    assert fabricated.status is AssessmentStatus.NOT_ASSESSED
    assert fabricated.score is None
    assert fabricated.evidence == []
    assert fabricated.rejected_evidence[0].reason == "not found in the candidate's words"
    assert "rejected" in fabricated.rationale
    assert real.status is AssessmentStatus.ASSESSED and real.score == 4
    assert real.evidence[0].turn_id == "a1"
    assert real.evidence[0].offset_seconds == 10
    assert real.evidence[0].turn_started_at == T0 + timedelta(seconds=10)
    assert unquoted.status is AssessmentStatus.NOT_ASSESSED and unquoted.score is None
    assert (check.quotes_checked, check.quotes_accepted, check.quotes_rejected) == (2, 1, 1)
    assert check.competencies_rejected == 2
    assert len({c.id for c in competencies}) == 3


def test_the_same_quote_twice_is_kept_once() -> None:
    quote = QuoteClaim("I designed the refunds API in Python", "a1")
    competencies, check = verify_claims((claim(4, quote, quote),), TURNS)
    assert len(competencies[0].evidence) == 1
    assert check.quotes_accepted == 2
