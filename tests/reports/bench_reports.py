"""How long report generation takes for a long interview (prints figures; not a test).

    uv run python -m tests.reports.bench_reports [--minutes 60] [--anomalies 40]

A 60-minute interview is built by repeating the real-looking transcript of
``interview_data`` (fresh turn ids, shifted times) and spreading anomalies with
snapshots over it; then the offline evaluation, an evidence check of fabricated quotes
(the slow path: no exact match, fuzzy search of every turn), and the three renderings
are timed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlmodel import Session

from control_api.db import create_db_engine, run_migrations
from control_api.reports.evidence import verify_claims
from control_api.reports.inputs import CompetencyClaim, QuoteClaim
from control_api.reports.render_html import render_html
from control_api.reports.render_pdf import render_pdf
from control_api.reports.schema import CompetencySource
from control_api.reports.service import generate_report, load_inputs, read_report
from control_api.reports.snapshot_images import load_snapshot_images
from control_api.storage import build_storage
from tests.reports import interview_data as data
from tests.reports.conftest import make_settings, seed_interview

T = TypeVar("T")
KINDS = ("no_face", "multiple_faces", "second_speaker", "face_mismatch")


def _timed(label: str, run: Callable[[], T]) -> T:
    began = time.perf_counter()
    result = run()
    print(f"{label:<44} {1000 * (time.perf_counter() - began):9.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--anomalies", type=int, default=40)
    args = parser.parse_args()
    seconds = args.minutes * 60
    rounds = max(1, int(seconds // data.INTERVIEW_SECONDS))
    turns = [
        (f"r{r}-{tid}", role, s + r * data.INTERVIEW_SECONDS, e + r * data.INTERVIEW_SECONDS, text)
        for r in range(rounds)
        for tid, role, s, e, text in data.TURNS
    ]
    step = seconds / args.anomalies
    anomalies = [
        (str(uuid.uuid4()), KINDS[i % 2], "medium", 0.8, i * step, i * step + step / 3)
        for i in range(args.anomalies)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp))
        engine = create_db_engine(settings.resolved_database_url)
        run_migrations(engine)
        storage = build_storage(settings)
        seeded = seed_interview(engine, storage, turns=turns, anomalies=anomalies)
        print(f"{len(turns)} turns, {len(anomalies)} anomalies with snapshots")
        _timed(
            "generate_report (offline evaluation, stored)",
            lambda: generate_report(engine, settings, storage, seeded.interview_id),
        )
        with Session(engine) as session:
            snap = load_inputs(session, seeded.interview_id)
            document = _timed(
                "read_report (proctoring section rebuilt)",
                lambda: read_report(session, seeded.interview_id, storage, settings),
            )
            images = _timed(
                "load 24 snapshot thumbnails",
                lambda: load_snapshot_images(session, storage, document, 24),
            )
        fabricated = tuple(
            CompetencyClaim(
                f"c{i}",
                CompetencySource.JOB_DESCRIPTION,
                4,
                "r",
                (
                    QuoteClaim(
                        f"I personally migrated {i} billing clusters to Kubernetes without downtime"
                    ),
                ),
            )
            for i in range(20)
        )
        _timed(
            "evidence check, 20 fabricated 11-word quotes",
            lambda: verify_claims(fabricated, snap.data.turns),
        )
        html = _timed("render report.html", lambda: render_html(document, images))
        pdf = _timed("render report.pdf", lambda: render_pdf(document, images))
        print(f"report.html {len(html) / 1024:.0f} KiB, report.pdf {len(pdf) / 1024:.0f} KiB")
        engine.dispose()


if __name__ == "__main__":
    main()
