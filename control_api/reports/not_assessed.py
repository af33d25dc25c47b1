"""The evaluation of an interview there was nothing to assess in, and the reasons why.

When the interview was cancelled or failed, or no word of the candidate was recorded
(no answer at all, or only the offline interviewer's "not transcribed" placeholders), no
evaluator runs: a model shown an empty or placeholder transcript would still write a
judgement, and the offline heuristic would score nothing as "1". The report then lists
the criteria of the job description, each "not assessed" with the reason, so the
recruiter sees what is missing rather than a number that pretends an assessment happened.
"""

from __future__ import annotations

from control_api.reports.ending import not_assessed_reason
from control_api.reports.inputs import CompetencyClaim, EvaluationInput, EvaluatorAnswer
from control_api.reports.requirements import extract_requirements
from control_api.reports.schema import NOT_ASSESSED_METHOD, EndedEarly, Recommendation

NO_ANSWER = "no candidate answer was recorded"
UNTRANSCRIBED = "the candidate's answers were not transcribed (no speech recognition)"
UNADDRESSED = "no candidate answer addresses it"
QUOTES_REJECTED = "the quotes given for it are not in the transcript"
NOTHING_ADDRESSED = "no candidate answer addresses any of the criteria"
NO_CRITERIA = "no criteria could be read from the job description"


def reason_to_skip(data: EvaluationInput, ending: EndedEarly | None) -> str | None:
    """Why nothing can be assessed in this interview, or None when an evaluator should run."""
    if ending is not None:
        return not_assessed_reason(ending)
    if any(t.text.strip() for t in data.candidate_turns):
        return None
    return UNTRANSCRIBED if data.untranscribed_turns else NO_ANSWER


def unassessed_answer(data: EvaluationInput, reason: str) -> EvaluatorAnswer:
    """Every criterion of the job description, none scored, with ``reason``."""
    requirements = extract_requirements(data.job_description, data.resume_text)
    return EvaluatorAnswer(
        method=NOT_ASSESSED_METHOD,
        method_note=f"No evaluation was run: {reason}. The criteria below are listed "
        "unscored; the proctoring section and the transcript are what was recorded.",
        summary=f"Not assessed: {reason}.",
        recommendation=Recommendation.INSUFFICIENT_EVIDENCE,
        recommendation_rationale=f"Nothing could be assessed: {reason}.",
        competencies=tuple(
            CompetencyClaim(
                name=r.name,
                source=r.source,
                score=None,
                rationale=f"Not assessed: {reason}.",
                quotes=(),
            )
            for r in requirements
        ),
        next_steps=("Assess the candidate in another interview.",),
    )
