"""The offline evaluation: deterministic, heuristic, and labelled as such in the report.

Without an OpenAI key the product still owes the recruiter a useful, honest report. This
evaluator does not judge answers; it measures what was said about each requirement:

- competencies are the requirements of the job description (:mod:`.requirements`);
- evidence is the candidate's sentences that mention a competency's keywords (matched on
  crude stems, so "deployed" counts for "deployment"): a sentence counts if it names one
  of the competency's distinctive keywords (written as a name in the job text: "Kafka",
  "REST") or at least two of its keywords, so "our platform team" alone is no evidence
  of "event streaming platform"; up to :data:`MAX_QUOTES` are quoted, those with the most
  keywords and specifics first;
- the score (1-5) rewards coverage and specificity, never fluency::

      score = 1 + 2 x coverage + min(sentences, 3) / 3 + specificity

  rounded half up, where *coverage* is the share of the competency's keywords the
  candidate used, *sentences* the number of matching sentences, and *specificity* the
  mean, over the quoted sentences, of three signs of a concrete answer (a number, a
  first-person action such as "I built" or "we migrated", at least
  :data:`DETAILED_WORDS` words) divided by three;
- a competency no sentence mentions is "not assessed".

The same transcript and job description always give the same report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from control_api.reports.evidence import MIN_QUOTE_WORDS, normalise
from control_api.reports.inputs import (
    CompetencyClaim,
    EvaluationInput,
    EvaluatorAnswer,
    QuoteClaim,
    Turn,
)
from control_api.reports.requirements import Requirement, extract_requirements, stem
from control_api.reports.schema import OFFLINE_METHOD, SCORE_MAX, SCORE_MIN, Recommendation

MAX_QUOTES = 3
DETAILED_WORDS = 15
METHOD_NOTE = (
    "Offline heuristic evaluation (no language model was used). Competencies are the "
    "requirements listed in the job description; evidence is the candidate's own sentences "
    "that mention each requirement's keywords; scores measure how much of the requirement "
    "the candidate talked about and how concretely (numbers, first-person actions, detail), "
    "not whether the answers were correct. Read the quotes before relying on a score."
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_ACTION = re.compile(
    r"\b(?:i|we|i've|we've|i'd)\s+(?:\w+\s+)?(?:built|build|led|lead|designed|design|wrote|"
    r"write|ran|run|migrated|reduced|improved|implemented|owned|shipped|created|deployed|"
    r"debugged|fixed|managed|mentored|tuned|introduced|added|moved|cut|set|wrote|automated|"
    r"rewrote|replaced|measured|profiled|scaled|split|tested|launched|started|organised|"
    r"organized|maintained|used|chose|decided)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|hundred|"
    r"thousand|million|billion|percent|half|double|twice)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Sentence:
    turn: Turn
    text: str
    stems: frozenset[str]

    @property
    def specifics(self) -> int:
        return (
            bool(_NUMBER.search(self.text))
            + bool(_ACTION.search(self.text))
            + (len(self.text.split()) >= DETAILED_WORDS)
        )


def _sentences(turns: tuple[Turn, ...]) -> list[_Sentence]:
    found = []
    for turn in turns:
        for text in _SENTENCE_END.split(turn.text.strip()):
            words = normalise(text).split()
            if len(words) >= MIN_QUOTE_WORDS:
                found.append(_Sentence(turn, text.strip(), frozenset(stem(w) for w in words)))
    return found


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def mentions(requirement: Requirement, sentence_stems: frozenset[str]) -> bool:
    """Whether a sentence is evidence for the requirement (see the module docstring)."""
    hits = sentence_stems & requirement.stems
    needed = min(2, len(requirement.stems))
    return len(hits) >= needed or bool(hits & requirement.distinctive_stems)


def _assess(requirement: Requirement, sentences: list[_Sentence]) -> CompetencyClaim:
    stems = requirement.stems
    matching = [s for s in sentences if mentions(requirement, s.stems)]
    if not matching:
        return CompetencyClaim(
            name=requirement.name,
            source=requirement.source,
            score=None,
            rationale="Not discussed: none of the candidate's sentences mention "
            f"{', '.join(requirement.keywords)}.",
            quotes=(),
        )
    covered = sorted(set().union(*(s.stems & stems for s in matching)))
    ranked = sorted(
        matching, key=lambda s: (-len(s.stems & stems), -s.specifics, s.turn.offset_seconds)
    )
    quoted = sorted(ranked[:MAX_QUOTES], key=lambda s: s.turn.offset_seconds)
    coverage = Decimal(len(covered)) / Decimal(len(stems))
    volume = Decimal(min(len(matching), 3)) / 3
    specificity = Decimal(sum(s.specifics for s in quoted)) / (3 * len(quoted))
    score = _round(1 + 2 * coverage + volume + specificity)
    score = max(SCORE_MIN, min(SCORE_MAX, score))
    specific = sum(1 for s in quoted if s.specifics >= 2)
    rationale = (
        f"Heuristic: {len(matching)} sentence(s) of the candidate mention this requirement; "
        f"{len(covered)} of its {len(stems)} keywords came up; {specific} of the "
        f"{len(quoted)} quoted sentence(s) are specific (numbers, first-person actions, "
        f"detail). Score = 1 + 2 x {coverage:.2f} + {volume:.2f} + {specificity:.2f}, "
        f"rounded: {score}."
    )
    return CompetencyClaim(
        name=requirement.name,
        source=requirement.source,
        score=score,
        rationale=rationale,
        quotes=tuple(QuoteClaim(quote=s.text, turn_id=s.turn.id) for s in quoted),
    )


def _recommendation(claims: list[CompetencyClaim]) -> tuple[Recommendation, str]:
    scores = [c.score for c in claims if c.score is not None]
    if not claims or len(scores) * 2 < len(claims):
        return Recommendation.INSUFFICIENT_EVIDENCE, (
            f"Only {len(scores)} of {len(claims)} requirements came up in the interview: "
            "too little to recommend either way."
        )
    mean = Decimal(sum(scores)) / len(scores)
    broad = len(scores) * 3 >= len(claims) * 2
    if mean >= 4 and broad:
        verdict = Recommendation.YES
    elif mean >= Decimal("3.25"):
        verdict = Recommendation.LEAN_YES
    elif mean >= Decimal("2.5"):
        verdict = Recommendation.LEAN_NO
    else:
        verdict = Recommendation.NO
    return verdict, (
        f"Mean heuristic score {mean:.2f} over {len(scores)} of {len(claims)} requirements "
        "(>= 4 yes if at least two thirds were assessed, >= 3.25 lean yes, >= 2.5 lean no, "
        "else no; fewer than half assessed is insufficient evidence; the offline method "
        "never says strong yes)."
    )


def evaluate_offline(data: EvaluationInput) -> EvaluatorAnswer:
    """The deterministic evaluation of one interview (see the module docstring)."""
    requirements = extract_requirements(data.job_description, data.resume_text)
    candidate = data.candidate_turns
    sentences = _sentences(candidate)
    claims = [_assess(r, sentences) for r in requirements]
    recommendation, why = _recommendation(claims)
    assessed = [c for c in claims if c.score is not None]
    words = sum(len(t.text.split()) for t in candidate)
    summary = (
        f"The candidate spoke in {len(candidate)} turns ({words} words). "
        f"{len(assessed)} of the {len(claims)} requirements drawn from the job description "
        "came up with quotable evidence."
    )
    if not requirements:
        summary += " No requirements could be read from the job description."
    if data.untranscribed_turns:
        summary += (
            f" {data.untranscribed_turns} other answer(s) were not transcribed (no speech "
            "recognition): they are neither counted nor scored."
        )
    strengths = [
        f"{c.name}: discussed concretely (heuristic score {c.score}/5)."
        for c in claims
        if c.score is not None and c.score >= 4
    ]
    growth = [
        f"{c.name}: mentioned only briefly (heuristic score {c.score}/5)."
        for c in claims
        if c.score is not None and c.score <= 2
    ] + [f"{c.name}: not discussed in the interview." for c in claims if c.score is None]
    steps = [f"Ask about “{c.name}” in the next round." for c in claims if c.score is None]
    steps += [
        f"Probe “{c.name}” with a practical exercise."
        for c in claims
        if c.score is not None and c.score <= 2
    ]
    steps.append("Read the quoted evidence: the offline scores count mentions, not quality.")
    return EvaluatorAnswer(
        method=OFFLINE_METHOD,
        method_note=METHOD_NOTE,
        summary=summary,
        recommendation=recommendation,
        recommendation_rationale=why,
        competencies=tuple(claims),
        strengths=tuple(strengths),
        growth_areas=tuple(growth),
        next_steps=tuple(steps),
    )
