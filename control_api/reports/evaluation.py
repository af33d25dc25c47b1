"""Choose the evaluator, run it, and let only evidence-backed claims through.

With ``OPENAI_API_KEY`` the language model evaluates; if it gives no valid answer within
the allowed attempts or cannot be reached, the offline evaluation is used instead and the
report says so (``evaluation.method`` is then ``offline-deterministic`` and the method
note names the failure). Either way the answer passes :func:`evidence.verify_claims`.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import openai

from control_api.reports.evidence import verify_claims
from control_api.reports.inputs import EvaluationInput, EvaluatorAnswer
from control_api.reports.not_assessed import (
    NO_CRITERIA,
    NOTHING_ADDRESSED,
    QUOTES_REJECTED,
    UNADDRESSED,
    reason_to_skip,
    unassessed_answer,
)
from control_api.reports.offline import evaluate_offline
from control_api.reports.openai_eval import (
    EvaluationFailed,
    OpenAIEvaluatorConfig,
    evaluate_with_openai,
)
from control_api.reports.schema import (
    AssessmentStatus,
    Competency,
    EndedEarly,
    Evaluation,
    Recommendation,
)
from control_api.reports.settings import ReportSettings
from control_api.settings import Settings

logger = logging.getLogger(__name__)


def openai_config(
    settings: Settings, report_settings: ReportSettings
) -> OpenAIEvaluatorConfig | None:
    """The model evaluator's configuration, or None when no key is set (offline)."""
    if settings.openai_api_key is None:
        return None
    return OpenAIEvaluatorConfig(
        api_key=settings.openai_api_key.get_secret_value(),
        model=report_settings.openai_eval_model,
        base_url=settings.openai_base_url,
        max_attempts=report_settings.evaluation_max_attempts,
    )


def run_evaluator(data: EvaluationInput, config: OpenAIEvaluatorConfig | None) -> EvaluatorAnswer:
    """The model's answer when configured and working, else the offline one (labelled)."""
    if config is None:
        return evaluate_offline(data)
    try:
        return evaluate_with_openai(data, config)
    except (EvaluationFailed, openai.APIError) as exc:
        reason = type(exc).__name__
        logger.warning("model evaluation failed, using the offline evaluation: %s", reason)
    offline = evaluate_offline(data)
    note = (
        f"The language model ({config.model}) gave no usable evaluation ({reason}), so this "
        f"report uses the offline evaluation. {offline.method_note}"
    )
    return replace(offline, method_note=note)


def evaluate(
    data: EvaluationInput, config: OpenAIEvaluatorConfig | None, ending: EndedEarly | None
) -> Evaluation:
    """The report's evaluation: none when there is nothing to assess (and the reason),
    else the configured evaluator's answer through the evidence check."""
    reason = reason_to_skip(data, ending)
    if reason is not None:
        return gate(unassessed_answer(data, reason), data, reason)
    return gate(run_evaluator(data, config), data)


def _with_reason(competency: Competency, reason: str | None) -> Competency:
    if competency.status is AssessmentStatus.ASSESSED:
        return competency
    why = reason or (QUOTES_REJECTED if competency.rejected_evidence else UNADDRESSED)
    return competency.model_copy(update={"not_assessed_reason": why})


def gate(answer: EvaluatorAnswer, data: EvaluationInput, reason: str | None = None) -> Evaluation:
    """The evaluation as reported: claims checked against the transcript.

    When the check leaves no competency assessed, the recommendation cannot stand on
    anything, so it becomes ``insufficient_evidence`` (and the rationale says why).
    Every competency without a score gets its ``not_assessed_reason`` (``reason`` for all
    when given), and the evaluation one when nothing was assessed.
    """
    checked, check = verify_claims(answer.competencies, data.turns)
    competencies = [_with_reason(c, reason) for c in checked]
    recommendation = answer.recommendation
    rationale = answer.recommendation_rationale
    assessed = [c for c in competencies if c.status is AssessmentStatus.ASSESSED]
    if not assessed and recommendation is not Recommendation.INSUFFICIENT_EVIDENCE:
        rationale = (
            f"Changed from '{recommendation.value}' to 'insufficient_evidence' by the evidence "
            f"check: no competency rests on words the candidate said. Evaluator's "
            f"rationale, for reference: {rationale}"
        )
        recommendation = Recommendation.INSUFFICIENT_EVIDENCE
    return Evaluation(
        method=answer.method,
        method_note=answer.method_note,
        summary=answer.summary,
        recommendation=recommendation,
        recommendation_rationale=rationale,
        competencies=competencies,
        strengths=list(answer.strengths),
        growth_areas=list(answer.growth_areas),
        next_steps=list(answer.next_steps),
        evidence_check=check,
        not_assessed_reason=None
        if assessed
        else reason or (NOTHING_ADDRESSED if competencies else NO_CRITERIA),
    )
