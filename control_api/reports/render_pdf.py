"""``report.pdf``: the same content as the HTML page, drawn with reportlab.

The timeline chart is drawn from the same layout as the SVG (:mod:`.timeline`), scaled
to the page. Text uses DejaVu Sans when the system has it (wide Unicode coverage for
names and quotes), else the Vera font bundled with reportlab; every text from the
transcript or the model is escaped before reportlab's paragraph markup sees it.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from control_api.reports.render_html import (
    anomaly_labels,
    recommendation_value,
    score_label,
    source_label,
    untranscribed_note,
    words_label,
)
from control_api.reports.schema import AssessmentStatus, DecisionKind, ReportDocument
from control_api.reports.snapshot_images import EmbeddedImage
from control_api.reports.timeline import (
    DISMISSED_COLOUR,
    SEVERITY_COLOURS,
    TimelineLayout,
    clock,
    layout_timeline,
    type_label,
)
from control_api.reports.transcript import interleave

MARGIN = 18 * mm
PAGE_WIDTH = A4[0] - 2 * MARGIN
_FONT_CANDIDATES = (
    (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ),
    (
        Path(reportlab.__file__).parent / "fonts" / "Vera.ttf",
        Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf",
    ),
)


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    for regular, bold in _FONT_CANDIDATES:
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("ReportSans", str(regular)))
            pdfmetrics.registerFont(TTFont("ReportSans-Bold", str(bold)))
            return "ReportSans", "ReportSans-Bold"
    return "Helvetica", "Helvetica-Bold"


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    base = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, alignment=TA_LEFT)
    return {
        "body": base,
        "meta": ParagraphStyle(
            "meta", parent=base, fontSize=8.5, textColor=colors.HexColor("#555555")
        ),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=20),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=bold,
            fontSize=13,
            leading=17,
            spaceBefore=10,
            spaceAfter=4,
            textColor=colors.HexColor("#1f4e79"),
        ),
        "h3": ParagraphStyle(
            "h3", parent=base, fontName=bold, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=2
        ),
        "quote": ParagraphStyle(
            "quote",
            parent=base,
            leftIndent=10,
            borderPadding=(2, 4, 2, 6),
            backColor=colors.HexColor("#f3f6fa"),
            spaceBefore=2,
            spaceAfter=2,
        ),
        **{
            f"verdict-{level}": ParagraphStyle(
                f"verdict-{level}",
                parent=base,
                fontName=bold,
                fontSize=12.5,
                leading=16,
                textColor=colors.HexColor(ink),
                backColor=colors.HexColor(paper),
                borderPadding=5,
                spaceBefore=4,
                spaceAfter=6,
            )
            for level, ink, paper in (
                ("serious", "#8c1d18", "#fdecea"),
                ("caution", "#7a4900", "#fff4e0"),
                ("clear", "#1b5e20", "#edf7ee"),
            )
        },
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "method": ParagraphStyle(
            "method",
            parent=base,
            backColor=colors.HexColor("#eef3f8"),
            borderPadding=5,
            spaceBefore=4,
            spaceAfter=8,
        ),
    }


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(text), _styles()[style])


def timeline_drawing(layout: TimelineLayout, width: float = PAGE_WIDTH) -> Drawing:
    """The timeline chart as a reportlab drawing (y flipped: reportlab's origin is low)."""
    regular, _ = _fonts()
    scale = width / layout.width
    h = layout.height
    group = Group()
    group.add(
        Rect(
            layout.plot_left,
            h - layout.axis_y,
            layout.plot_right - layout.plot_left,
            layout.axis_y,
            fillColor=colors.HexColor("#f7f7f9"),
            strokeColor=None,
        )
    )
    for lane in layout.lanes:
        group.add(
            String(
                layout.plot_left - 8,
                h - lane.y - 17,
                lane.label,
                fontName=regular,
                fontSize=11,
                textAnchor="end",
            )
        )
    for tick in layout.ticks:
        group.add(
            Line(tick.x, h, tick.x, h - layout.axis_y - 4, strokeColor=colors.HexColor("#cfcfd6"))
        )
        group.add(
            String(
                tick.x,
                h - layout.axis_y - 17,
                tick.label,
                fontName=regular,
                fontSize=11,
                textAnchor="middle",
            )
        )
    for bar in layout.bars:
        group.add(
            Rect(
                bar.x,
                h - bar.y - bar.height,
                bar.width,
                bar.height,
                fillColor=colors.HexColor(bar.fill),
                strokeColor=colors.HexColor("#333333"),
                strokeDashArray=[3, 2] if bar.dashed else None,
                strokeWidth=0.8,
            )
        )
    group.transform = (scale, 0, 0, scale, 0, 0)
    drawing = Drawing(width, h * scale)
    drawing.add(group)
    return drawing


def _legend() -> Table:
    cells = []
    for name, colour in [*SEVERITY_COLOURS.items(), ("dismissed", DISMISSED_COLOUR)]:
        swatch = Drawing(9, 9)
        swatch.add(Rect(0, 0, 9, 9, fillColor=colors.HexColor(colour), strokeColor=colors.black))
        label = "dismissed by the proctor" if name == "dismissed" else f"{name} severity"
        cells += [swatch, _p(label, "meta")]
    return Table([cells], colWidths=[12, 90, 12, 100, 12, 90, 12, 140], hAlign="LEFT")


def _table(rows: list[list[Flowable | str]], widths: list[float]) -> Table:
    styled = [[_p(c, "cell") if isinstance(c, str) else c for c in row] for row in rows]
    table = Table(styled, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c8c8d0")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f4")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _rubric(document: ReportDocument) -> list[Flowable]:
    out: list[Flowable] = [_p("Rubric", "h2")]
    for c in document.evaluation.competencies:
        block: list[Flowable] = [
            _p(f"{c.name} — {score_label(c)}", "h3"),
            _p(
                f"Drawn from the {source_label(c.source)} · status: "
                f"{c.status.value.replace('_', ' ')}",
                "meta",
            ),
            _p(c.rationale),
        ]
        for e in c.evidence:
            block.append(
                _p(
                    f"“{e.quote}” — candidate at {clock(e.offset_seconds)} "
                    f"(turn {e.turn_id}, {e.match.value} match)",
                    "quote",
                )
            )
        for r in c.rejected_evidence:
            block.append(_p(f"Rejected quote: “{r.quote}” — {r.reason}", "meta"))
        out.append(KeepTogether(block))
    for title, items in (
        ("Strengths", document.evaluation.strengths),
        ("Growth areas", document.evaluation.growth_areas),
        ("Suggested next steps", document.evaluation.next_steps),
    ):
        out.append(_p(title, "h3"))
        out += [_p(f"• {item}") for item in items] or [_p("None.")]
    check = document.evaluation.evidence_check
    out += [
        _p("Evidence check", "h3"),
        _p(
            f"{check.quotes_checked} quotes checked, {check.quotes_accepted} accepted, "
            f"{check.quotes_rejected} rejected; {check.competencies_rejected} scored "
            "competencies rejected for lack of evidence."
        ),
        _p(f"Rule: {check.rule}", "meta"),
    ]
    return out


def _proctoring(document: ReportDocument, images: dict[str, EmbeddedImage]) -> list[Flowable]:
    section = document.proctoring
    card = section.scorecard
    out: list[Flowable] = [
        _p("Proctoring", "h2"),
        _p(
            f"{card.summary} Computed by the server from its stored records ({card.method}); "
            "no language model is involved."
        ),
        Spacer(1, 4),
        timeline_drawing(layout_timeline(section)),
        _legend(),
    ]
    if section.timeline:
        rows: list[list[Flowable | str]] = [
            ["Cause", "Severity", "When", "Share", "Points", "Without dismissed", "Decision"]
        ]
        for item in section.timeline:
            cause = type_label(item.type) + ("" if item.scored else " (not scored)")
            rows.append(
                [
                    cause,
                    f"{item.severity} ({item.confidence:.2f})",
                    f"{clock(item.offset_start_seconds)}–{clock(item.offset_end_seconds)}",
                    f"{item.overlap_share * 100:.1f}%",
                    f"{item.points:.1f}",
                    f"{item.points_excluding_dismissed:.1f}",
                    item.decision.value if item.decision else "pending",
                ]
            )
        out.append(
            KeepTogether([_p("Deductions", "h3"), _table(rows, [90, 70, 70, 50, 50, 70, 60])])
        )
        out += [_p(f"• {d.explanation}", "meta") for d in card.deductions]
    else:
        out += [_p("Deductions", "h3"), _p("No anomalies were recorded.")]
    shown = [
        (item, snap)
        for item in section.timeline
        for snap in item.snapshots
        if snap.file_id in images
    ]
    if shown:
        out.append(_p("Snapshots", "h3"))
        for item, snap in shown:
            image = images[snap.file_id]
            width = min(160.0, float(image.width))
            flow = Image(
                io.BytesIO(image.data), width=width, height=width * image.height / image.width
            )
            flow.hAlign = "LEFT"
            out.append(
                KeepTogether(
                    [
                        flow,
                        _p(
                            f"{type_label(item.type)} at {clock(item.offset_start_seconds)}", "meta"
                        ),
                    ]
                )
            )
    out.append(_p("Proctor decisions (audit trail)", "h3"))
    if section.decisions:
        labels = anomaly_labels(document)
        rows = [["When", "Anomaly", "Decision", "By", "Note"]]
        for d in section.decisions:
            rows.append(
                [
                    d.decided_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    labels.get(d.anomaly_id, d.anomaly_id),
                    d.decision.value,
                    (
                        f"{d.actor_name} ({d.actor_kind})"
                        if d.actor_name
                        else d.actor_kind.capitalize()
                    ),
                    d.note or "",
                ]
            )
        out.append(_table(rows, [95, 95, 50, 110, 110]))
    else:
        out.append(_p("No decisions yet: every anomaly counts in the score."))
    return out


def _transcript(document: ReportDocument) -> list[Flowable]:
    out: list[Flowable] = [_p("Transcript", "h2")]
    lines = interleave(document.transcript, document.proctoring.timeline)
    if not lines:
        return [*out, _p("No transcript was stored for this interview.")]
    for line in lines:
        if line.turn is not None:
            out.append(
                _p(f"{clock(line.offset_seconds)}  {line.turn.role.capitalize()}: {line.turn.text}")
            )
        elif line.event is not None:
            event = line.event
            state = f"decision: {event.decision.value}" if event.decision else "not reviewed"
            out.append(
                _p(
                    f"{clock(line.offset_seconds)}  Proctoring event: {type_label(event.type)} "
                    f"({event.severity} severity, until {clock(event.offset_end_seconds)}, "
                    f"{state})",
                    "quote",
                )
            )
    return out


def _header(document: ReportDocument) -> list[Flowable]:
    card = document.proctoring.scorecard
    interview = document.interview
    evaluation = document.evaluation
    assessed = sum(1 for c in evaluation.competencies if c.status is AssessmentStatus.ASSESSED)
    offline = (
        " (offline, heuristic)" if document.evaluation_method == "offline-deterministic" else ""
    )
    dismissed = sum(1 for t in document.proctoring.timeline if t.decision is DecisionKind.DISMISS)
    figures = [
        [
            "Recommendation",
            "Competencies assessed",
            "Proctoring impact score",
            "Without dismissed items",
        ],
        [
            recommendation_value(evaluation),
            f"{assessed} of {len(evaluation.competencies)}",
            f"{card.score:.1f} / 100",
            f"{card.score_excluding_dismissed:.1f} / 100"
            + (f" ({dismissed} dismissed)" if dismissed else ""),
        ],
    ]
    identity: list[Flowable] = []
    ended = document.ended_early
    if ended is not None:  # a cancelled or failed interview says so before anything else
        identity += [_p(ended.headline, "verdict-caution"), _p(ended.detail)]
    if interview.identity is not None:  # the summary starts with the verdict
        identity += [_p(interview.identity.summary, "method")]
    verdict = document.integrity
    if verdict is not None:  # the integrity verdict comes before the rubric and the score
        labels = anomaly_labels(document)
        evidence = ", ".join(labels.get(a, a) for a in verdict.evidence)
        identity += [
            _p(f"Integrity: {verdict.headline}", f"verdict-{verdict.level.value}"),
            _p(verdict.detail + (f" Evidence: {evidence}." if evidence else "")),
        ]
    return [
        _p(f"Interview report: {interview.title}", "title"),
        *identity,
        _p(
            f"Candidate: {interview.candidate_name} · interview "
            f"{interview.started_at:%Y-%m-%d %H:%M} UTC, {clock(interview.duration_seconds)} long "
            f"· {words_label(interview)}",
            "meta",
        ),
        *([_p(note, "method")] if (note := untranscribed_note(interview)) else []),
        _p(
            f"Report {document.report_id} · generated {document.generated_at:%Y-%m-%d %H:%M} UTC "
            f"· proctoring section as of {document.proctoring_built_at:%Y-%m-%d %H:%M} UTC",
            "meta",
        ),
        Spacer(1, 6),
        _p(
            f"Evaluation method: {document.evaluation_method}{offline}. {evaluation.method_note}",
            "method",
        ),
        _table(figures, [PAGE_WIDTH / 4] * 4),
        _p("Summary", "h2"),
        *(
            [_p(f"Not assessed: {evaluation.not_assessed_reason}.", "h3")]
            if evaluation.not_assessed_reason
            else []
        ),
        _p(evaluation.summary),
        _p(f"Why this recommendation: {evaluation.recommendation_rationale}"),
    ]


def render_pdf(document: ReportDocument, images: dict[str, EmbeddedImage]) -> bytes:
    """The report as PDF bytes."""
    buffer = io.BytesIO()
    regular, _ = _fonts()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Interview report: {document.interview.title}",
        author="ProctorAI",
        subject=f"Report {document.report_id}",
    )

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.drawString(
            MARGIN,
            10 * mm,
            f"Report schema version {document.schema_version} · "
            f"{document.evaluation_method} · page {doc.page}",
        )
        canvas.restoreState()

    story = [
        *_header(document),
        *_rubric(document),
        *_proctoring(document, images),
        *_transcript(document),
    ]
    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
