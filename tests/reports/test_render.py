"""The HTML and PDF renderings carry the same content as the JSON report."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session

from control_api.reports.render_html import render_html
from control_api.reports.render_pdf import render_pdf
from control_api.reports.schema import DecisionKind, ReportDocument
from control_api.reports.service import generate_report, read_report, record_decision
from control_api.reports.snapshot_images import EmbeddedImage, load_snapshot_images
from control_api.settings import Settings
from control_api.storage import Storage
from tests.reports import interview_data as data
from tests.reports.conftest import seed_interview

HOSTILE = "I built REST APIs in Python <script>alert('x')</script> & more for five years."


def _report(
    engine: Engine, settings: Settings, storage: Storage, dismiss: bool = True
) -> tuple[ReportDocument, dict[str, EmbeddedImage]]:
    turns = [*data.TURNS, ("t13", "candidate", 530, 560, HOSTILE)]
    seeded = seed_interview(engine, storage, turns=turns)
    generate_report(engine, settings, storage, seeded.interview_id)
    with Session(engine) as session:
        if dismiss:
            record_decision(
                session,
                seeded.interview_id,
                data.ANOMALY_IDS["multiple_faces"],
                DecisionKind.DISMISS,
                "proctor",
                "link:abc",
                "Sam Proctor",
                "a poster on the wall",
            )
        document = read_report(session, seeded.interview_id, storage, settings)
        images = load_snapshot_images(session, storage, document, limit=10)
    return document, images


def test_html_has_the_svg_timeline_snapshots_rubric_and_escapes_transcript_text(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    document, images = _report(engine, settings, storage)
    html = render_html(document, images)

    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    svg = re.search(r"<svg[^>]*role=\"img\".*?</svg>", html, re.S)
    assert svg is not None
    bars = re.findall(r'<rect class="anomaly" data-anomaly="([^"]+)"', svg.group())
    assert bars == [item.anomaly_id for item in document.proctoring.timeline]
    assert 'stroke-dasharray="3 2"' in svg.group()  # the dismissed one
    assert "Multiple faces, high severity, 6:40-7:35, 15.7 points (dismissed)" in svg.group()
    assert html.count("data:image/jpeg;base64,") == 2 == len(images)
    assert "73.2 / 100" in html and "88.9 / 100" in html
    assert "offline-deterministic" in html and "(offline, heuristic)" in html
    assert "REST APIs in Python" in html
    assert "At Finch I designed the refunds API in Python with FastAPI" in html
    assert "a poster on the wall" in html and "Sam Proctor (proctor)" in html
    assert "link:abc" not in html  # the audit keeps the link id; people read a name
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_pdf_opens_and_holds_score_competencies_anomalies_and_snapshots(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    document, images = _report(engine, settings, storage)
    pdf = render_pdf(document, images)

    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert reader.metadata is not None
    assert reader.metadata.title == f"Interview report: {data.TITLE}"
    assert "73.2 / 100" in flat and "88.9 / 100" in flat
    for competency in document.evaluation.competencies:
        assert competency.name.split(":")[0] in flat
    assert "Multiple faces" in flat and "Second speaker" in flat
    assert "dismiss" in flat and "a poster on the wall" in flat
    assert "<script>alert('x')</script>" in flat  # shown as text, not swallowed as markup
    assert "offline-deterministic" in flat
    assert sum(len(page.images) for page in reader.pages) == 2


def test_renderings_of_an_interview_without_anomalies(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    seeded = seed_interview(engine, storage, anomalies=[])
    generate_report(engine, settings, storage, seeded.interview_id)
    with Session(engine) as session:
        document = read_report(session, seeded.interview_id, storage, settings)

    html = render_html(document, {})
    assert "No anomalies were recorded during the 12:00 interview." in html
    assert '<rect class="anomaly"' not in html
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(document, {}))).pages
    )
    assert "100.0 / 100" in " ".join(text.split())


IMPOSTOR_ID = "6f1d9a52-4c1e-4d6b-9d55-0a3c1f2b7e09"


def _impostor_report(engine: Engine, settings: Settings, storage: Storage) -> ReportDocument:
    anomalies = [
        *data.ANOMALIES,
        (IMPOSTOR_ID, "face_mismatch", "high", 0.95, 250.0, 300.0),
    ]
    seeded = seed_interview(engine, storage, anomalies=anomalies)
    generate_report(engine, settings, storage, seeded.interview_id)
    with Session(engine) as session:
        record_decision(
            session,
            seeded.interview_id,
            IMPOSTOR_ID,
            DecisionKind.CONFIRM,
            "proctor",
            "link:abc",
            "Sam Proctor",
            "not the person in the reference photo",
        )
        return read_report(session, seeded.interview_id, storage, settings)


def test_a_confirmed_impostor_report_opens_with_the_identity_verdict(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    document = _impostor_report(engine, settings, storage)
    assert document.integrity is not None
    assert document.integrity.evidence == [IMPOSTOR_ID]
    html = render_html(document, {})

    verdict = html.index("Identity concern confirmed by proctor")
    assert 'class="integrity level-serious"' in html
    assert verdict < html.index("Recommendation") and verdict < html.index("/ 100")
    assert verdict < html.index('id="rubric-h"')
    if "Insufficient evidence" in html:
        assert verdict < html.index("Insufficient evidence")
    assert f'href="#anomaly-{IMPOSTOR_ID}">Face mismatch at 4:10</a>' in html
    assert f'<tr id="anomaly-{IMPOSTOR_ID}"' in html

    flat = " ".join(
        " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(document, {}))).pages
        ).split()
    )
    pdf_verdict = flat.index("Integrity: Identity concern confirmed by proctor")
    assert pdf_verdict < flat.index("Recommendation") and pdf_verdict < flat.index("/ 100")
    assert "Evidence: Face mismatch at 4:10." in flat


def test_verdicts_in_words_for_unreviewed_dismissed_and_clean_interviews(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    document, _ = _report(engine, settings, storage, dismiss=False)
    html = render_html(document, {})
    assert "Integrity: Integrity flags raised, not reviewed" in html
    assert html.index("Integrity flags raised") < html.index("/ 100")

    seeded = seed_interview(engine, storage, anomalies=[])
    generate_report(engine, settings, storage, seeded.interview_id)
    with Session(engine) as session:
        clean = read_report(session, seeded.interview_id, storage, settings)
    html = render_html(clean, {})
    assert "Integrity: No integrity concern recorded" in html
    opening = re.search(r'<section class="integrity [^"]*"[^>]*>', html)
    assert opening is not None  # a clear verdict is not announced as an alert
    assert (
        opening.group() == '<section class="integrity level-clear" aria-labelledby="integrity-h">'
    )


def test_the_transcript_has_every_turn_with_its_time_and_the_events_in_place(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    document, _ = _report(engine, settings, storage)
    assert [t.turn_id for t in document.transcript] == [t[0] for t in data.TURNS] + ["t13"]
    html = render_html(document, {})
    section = html[html.index('id="transcript-h"') :]
    assert (
        '<span class="when">0:05</span><span class="role">Interviewer:</span> Thanks for joining.'
        in section
    )
    assert (
        '<span class="when">1:52</span><span class="role">Candidate:</span> The refunds table'
        in section
    )
    # the no-face event at 2:10 sits inside the candidate's 1:52 answer, before the 3:32 turn
    no_face = section.index("Proctoring event: No face")
    assert section.index("The refunds table") < no_face < section.index("What about testing?")
    assert "(low severity, until 2:22, not reviewed)" in section
    assert "Proctoring event: Multiple faces</a>" in section and "decision: dismiss" in section
    assert "&lt;script&gt;" in section and "<script>" not in section
    flat = " ".join(
        " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(document, {}))).pages
        ).split()
    )
    assert "0:05 Interviewer: Thanks for joining." in flat
    assert "Proctoring event: No face (low severity, until 2:22, not reviewed)" in flat
