"""The report endpoints on the real app: formats, auth, decisions, erasure."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from pypdf import PdfReader
from sqlmodel import Session

from control_api.app import create_app
from control_api.crud import issue_links
from control_api.links import encode_link
from control_api.models import InterviewStatus
from control_api.reports.schema import ReportDocument
from control_api.reports.settings import ReportSettings
from control_api.routes import reports
from tests.reports import interview_data as data
from tests.reports.ats_receiver import SECRET, AtsReceiver
from tests.reports.conftest import (
    LINK_SECRET,
    RECRUITER_KEY,
    SERVICE_TOKEN,
    make_settings,
    seed_interview,
)

RECRUITER = {"Authorization": f"Bearer {RECRUITER_KEY}"}
MULTIPLE_FACES = data.ANOMALY_IDS["multiple_faces"]


def _with_reports(app: FastAPI) -> FastAPI:
    """Include the router unless the app already does (the lead wires it into create_app)."""
    if not any(getattr(r, "path", "") == "/interviews/{interview_id}/report" for r in app.routes):
        app.include_router(reports.router)
    return app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = _with_reports(create_app(make_settings(tmp_path)))
    with TestClient(app) as client:
        yield client


def _seed(client: TestClient) -> str:
    state = client.app.state  # type: ignore[attr-defined]
    return seed_interview(state.engine, state.storage).interview_id


def test_report_endpoints_need_the_recruiter_key(client: TestClient) -> None:
    interview_id = _seed(client)
    for path in ("report", "report.html", "report.pdf"):
        assert client.get(f"/interviews/{interview_id}/{path}").status_code == 401
        wrong = client.get(
            f"/interviews/{interview_id}/{path}",
            headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
        )
        assert wrong.status_code == 403


def test_generate_then_read_in_three_formats(client: TestClient) -> None:
    interview_id = _seed(client)
    missing = client.get(f"/interviews/{interview_id}/report", headers=RECRUITER)
    assert missing.status_code == 404 and "no report yet" in missing.json()["detail"]

    made = client.post(f"/interviews/{interview_id}/report", headers=RECRUITER)
    assert made.status_code == 200, made.text
    assert made.json()["interview"]["status"] == "evaluated"

    as_json = client.get(f"/interviews/{interview_id}/report", headers=RECRUITER)
    document = ReportDocument.model_validate(as_json.json())
    assert document.schema_version == 1
    assert document.evaluation_method == "offline-deterministic"
    assert document.proctoring.scorecard.score == 73.2
    snapshot_url = document.proctoring.timeline[1].snapshots[0].url
    image = client.get(snapshot_url.removeprefix("http://testserver"))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content == data.TWO_FACES_SNAPSHOT.read_bytes()

    html = client.get(f"/interviews/{interview_id}/report.html", headers=RECRUITER)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "<svg" in html.text and html.text.count('<rect class="anomaly"') == 3

    pdf = client.get(f"/interviews/{interview_id}/report.pdf", headers=RECRUITER)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    assert "73.2 / 100" in text and "REST APIs in Python" in text and "Multiple faces" in text


def test_an_interview_still_running_gets_no_report(client: TestClient) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    running = seed_interview(state.engine, state.storage, status=InterviewStatus.IN_PROGRESS)
    answer = client.post(f"/interviews/{running.interview_id}/report", headers=RECRUITER)
    assert answer.status_code == 409


def test_decisions_by_recruiter_and_by_proctor_link_are_audited(client: TestClient) -> None:
    interview_id = _seed(client)
    client.post(f"/interviews/{interview_id}/report", headers=RECRUITER)
    state = client.app.state  # type: ignore[attr-defined]
    with Session(state.engine, expire_on_commit=False) as session:
        candidate_link, proctor_link = issue_links(session, interview_id, state.settings)
        session.commit()
    proctor_token = encode_link(proctor_link, LINK_SECRET)
    candidate_token = encode_link(candidate_link, LINK_SECRET)

    by_recruiter = client.post(
        f"/interviews/{interview_id}/anomalies/{MULTIPLE_FACES}/decision",
        json={"decision": "confirm", "by": "Rita Recruiter"},
        headers=RECRUITER,
    )
    assert by_recruiter.status_code == 201, by_recruiter.text
    by_proctor = client.post(
        f"/links/{proctor_token}/anomalies/{MULTIPLE_FACES}/decision",
        json={"decision": "dismiss", "note": "a poster of two people behind the candidate"},
    )
    assert by_proctor.status_code == 201, by_proctor.text
    assert by_proctor.json()["actor_kind"] == "proctor"
    assert by_proctor.json()["actor_ref"] == f"link:{proctor_link.jti}"
    refused = client.post(
        f"/links/{candidate_token}/anomalies/{MULTIPLE_FACES}/decision",
        json={"decision": "dismiss"},
    )
    assert refused.status_code == 403
    unknown = client.post(
        f"/interviews/{interview_id}/anomalies/nope/decision",
        json={"decision": "dismiss"},
        headers=RECRUITER,
    )
    assert unknown.status_code == 404
    invalid = client.post(
        f"/interviews/{interview_id}/anomalies/{MULTIPLE_FACES}/decision",
        json={"decision": "maybe"},
        headers=RECRUITER,
    )
    assert invalid.status_code == 422

    report = client.get(f"/interviews/{interview_id}/report", headers=RECRUITER).json()
    card = report["proctoring"]["scorecard"]
    assert (card["score"], card["score_excluding_dismissed"]) == (73.2, 88.9)
    trail = report["proctoring"]["decisions"]
    assert [(d["decision"], d["actor_kind"], d["actor_name"]) for d in trail] == [
        ("confirm", "recruiter", "Rita Recruiter"),
        ("dismiss", "proctor", None),
    ]


def test_erasing_a_candidate_removes_the_interview_and_its_files(client: TestClient) -> None:
    interview_id = _seed(client)
    client.post(f"/interviews/{interview_id}/report", headers=RECRUITER)
    files_dir = client.app.state.settings.files_dir  # type: ignore[attr-defined]
    assert (
        len([p for p in (files_dir / "interviews" / interview_id).rglob("*") if p.is_file()]) == 2
    )

    erased = client.delete(f"/interviews/{interview_id}/candidate-data", headers=RECRUITER)

    assert erased.status_code == 200, erased.text
    assert erased.json()["files_deleted"] == 2
    assert not [p for p in files_dir.rglob("*") if p.is_file() and interview_id in str(p)]
    assert client.get(f"/interviews/{interview_id}", headers=RECRUITER).status_code == 404
    assert client.get(f"/interviews/{interview_id}/report", headers=RECRUITER).status_code == 404
    again = client.delete(f"/interviews/{interview_id}/candidate-data", headers=RECRUITER)
    assert again.status_code == 404


def test_a_generated_report_is_sent_to_the_ats_and_the_delivery_logged(
    client: TestClient,
) -> None:
    interview_id = _seed(client)
    with AtsReceiver([500]) as receiver:
        client.app.state.report_settings = ReportSettings(  # type: ignore[attr-defined]
            _env_file=None,  # type: ignore[call-arg]
            ats_webhook_url=receiver.url,
            ats_webhook_secret=SecretStr(SECRET),
            ats_webhook_backoff_seconds=0.05,
        )
        made = client.post(f"/interviews/{interview_id}/report", headers=RECRUITER)
        assert made.status_code == 200  # the webhook runs after the answer (background task)

    assert [r.verified for r in receiver.received] == [True, True]
    log = client.get(f"/interviews/{interview_id}/webhook-deliveries", headers=RECRUITER)
    assert [(d["attempt"], d["status_code"], d["succeeded"]) for d in log.json()] == [
        (1, 500, False),
        (2, 200, True),
    ]
