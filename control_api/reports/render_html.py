"""``report.html``: one self-contained, accessible page (inline CSS, SVG chart, images).

Jinja2 with autoescaping renders ``templates/report.html.j2``: everything from the
transcript or the model is escaped, so a quote cannot inject markup into the page.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from control_api.reports.schema import (
    AssessmentStatus,
    Competency,
    CompetencySource,
    Evaluation,
    InterviewFacts,
    Recommendation,
    ReportDocument,
)
from control_api.reports.snapshot_images import EmbeddedImage
from control_api.reports.timeline import (
    DISMISSED_COLOUR,
    SEVERITY_COLOURS,
    clock,
    layout_timeline,
    type_label,
)
from control_api.reports.transcript import interleave


def recommendation_label(value: Recommendation) -> str:
    return value.value.replace("_", " ").capitalize()


def recommendation_value(evaluation: Evaluation) -> str:
    """The headline figure: "Not assessed" when nothing could be, else the recommendation."""
    if evaluation.not_assessed_reason is not None:
        return "Not assessed"
    return recommendation_label(evaluation.recommendation)


def score_label(competency: Competency) -> str:
    """``4/5``, or ``Not assessed: <reason>`` where a number would pretend an assessment."""
    if competency.score is not None:
        return f"{competency.score}/5"
    if competency.not_assessed_reason:
        return f"Not assessed: {competency.not_assessed_reason}"
    return "Not assessed"


def words_label(facts: InterviewFacts) -> str:
    """What the header says about the candidate's words; placeholders are no words."""
    if facts.candidate_turns and facts.untranscribed_turns >= facts.candidate_turns:
        return f"{facts.candidate_turns} candidate turns (answers not transcribed)"
    return f"{facts.candidate_turns} candidate turns ({facts.candidate_words} words)"


def untranscribed_note(facts: InterviewFacts) -> str | None:
    """The plain warning that answers were not transcribed, or None when all were."""
    missing = facts.untranscribed_turns
    if not missing:
        return None
    consequence = (
        "no speech recognition was available, so their words are not counted and their "
        "content was not scored."
    )
    if missing >= facts.candidate_turns:
        return f"The candidate's answers were not transcribed: {consequence}"
    return (
        f"Some of the candidate's answers were not transcribed: {missing} of "
        f"{facts.candidate_turns} answers were not transcribed; {consequence}"
    )


def source_label(value: CompetencySource) -> str:
    return {
        CompetencySource.JOB_DESCRIPTION: "job description",
        CompetencySource.RESUME: "resume",
        CompetencySource.BOTH: "job description and resume",
    }[value]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("control_api.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def anomaly_labels(document: ReportDocument) -> dict[str, str]:
    """A readable name per anomaly for the audit table (``No face at 1:05``)."""
    return {
        item.anomaly_id: f"{type_label(item.type)} at {clock(item.offset_start_seconds)}"
        for item in document.proctoring.timeline
    }


def render_html(document: ReportDocument, images: dict[str, EmbeddedImage]) -> str:
    """The report page; ``images`` are the embedded snapshot thumbnails by file id."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        doc=document,
        card=document.proctoring.scorecard,
        layout=layout_timeline(document.proctoring),
        images=images,
        assessed=[
            c for c in document.evaluation.competencies if c.status is AssessmentStatus.ASSESSED
        ],
        clock=clock,
        type_label=type_label,
        recommendation_label=recommendation_label,
        recommendation_value=recommendation_value,
        score_label=score_label,
        words_label=words_label(document.interview),
        untranscribed_note=untranscribed_note(document.interview),
        source_label=source_label,
        severity_colours=SEVERITY_COLOURS,
        dismissed_colour=DISMISSED_COLOUR,
        anomaly_labels=anomaly_labels(document),
        transcript_lines=interleave(document.transcript, document.proctoring.timeline),
    )
