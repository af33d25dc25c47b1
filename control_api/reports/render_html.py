"""``report.html``: one self-contained, accessible page (inline CSS, SVG chart, images).

Jinja2 with autoescaping renders ``templates/report.html.j2``: everything from the
transcript or the model is escaped, so a quote cannot inject markup into the page.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from control_api.reports.schema import (
    AssessmentStatus,
    CompetencySource,
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
        source_label=source_label,
        severity_colours=SEVERITY_COLOURS,
        dismissed_colour=DISMISSED_COLOUR,
        anomaly_labels=anomaly_labels(document),
        transcript_lines=interleave(document.transcript, document.proctoring.timeline),
    )
