"""What the API runs in the background for reports: evaluate, notify, purge.

- :func:`generate_and_notify`: evaluate, store, mark ``evaluated``, then notify the ATS
  if a webhook is configured. One evaluation per interview however often it is called
  (the claim in :mod:`control_api.reports.service`), one delivery per report.
- :func:`generate_after_completion`: the background task of the agent's ``completed``.
  LiveKit's ``room_finished`` triggers nothing: it may arrive while the agent's outbox
  still delivers the last turns and events, so the interview it completed waits for the
  agent's ``completed`` or for ``REPORT_DRAIN_SECONDS`` (the catch-up below).
- :func:`run_maintenance_once`: evaluates every completed interview still without a
  report ``REPORT_DRAIN_SECONDS`` after its completion (a room that finished without the
  agent's word, a missed trigger, a crash mid-evaluation) and purges media past the
  retention period.
- :func:`maintenance_loop`: runs the above every ``interval`` seconds, off the event
  loop; start it as a task in the app's lifespan.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from control_api.reports.retention import purge_expired_media
from control_api.reports.service import (
    ReportClaimed,
    ReportError,
    generate_report,
    interviews_awaiting_report,
)
from control_api.reports.settings import ReportSettings
from control_api.reports.webhook import DeliveryResult, deliver_report
from control_api.settings import Settings
from control_api.storage import Storage

logger = logging.getLogger(__name__)


def generate_and_notify(
    engine: Engine,
    settings: Settings,
    storage: Storage,
    interview_id: str,
    report_settings: ReportSettings | None = None,
) -> DeliveryResult | None:
    """Evaluate a completed interview and tell the ATS; None when no webhook is set.

    Raises :class:`ReportClaimed` when the interview has its report or another
    generation is making it (nothing evaluated, nothing sent).
    """
    report_settings = report_settings or ReportSettings()
    document = generate_report(engine, settings, storage, interview_id, report_settings)
    if not report_settings.ats_webhook_url:
        return None
    return deliver_report(engine, report_settings, document, settings.public_url)


@dataclass(frozen=True, slots=True)
class MaintenanceResult:
    reports_generated: int
    reports_failed: int
    media_deleted: int
    reports_skipped: int = 0
    """Made meanwhile by another trigger or process (not a failure)."""


def run_maintenance_once(
    engine: Engine,
    settings: Settings,
    storage: Storage,
    report_settings: ReportSettings | None = None,
    grace: timedelta | None = None,
) -> MaintenanceResult:
    """One catch-up round; ``grace`` (default ``REPORT_DRAIN_SECONDS``) is how long a
    completed interview is left to the agent's ``completed`` before it is evaluated."""
    report_settings = report_settings or ReportSettings()
    if grace is None:
        grace = timedelta(seconds=settings.report_drain_seconds)
    generated = failed = skipped = 0
    for interview_id in interviews_awaiting_report(engine, min_age=grace):
        try:
            generate_and_notify(engine, settings, storage, interview_id, report_settings)
            generated += 1
        except ReportClaimed:
            skipped += 1
        except ReportError:
            failed += 1  # changed status or deleted meanwhile
        except Exception:
            failed += 1
            logger.exception("report generation failed: %s", interview_id)
    purge = purge_expired_media(engine, storage, settings.media_retention_days)
    return MaintenanceResult(generated, failed, purge.deleted, skipped)


async def maintenance_loop(
    engine: Engine,
    settings: Settings,
    storage: Storage,
    interval_seconds: float = 60.0,
    report_settings: ReportSettings | None = None,
) -> None:
    """Run :func:`run_maintenance_once` now and every ``interval_seconds`` until cancelled."""
    while True:
        try:
            await asyncio.to_thread(
                run_maintenance_once, engine, settings, storage, report_settings
            )
        except Exception:
            logger.exception("report maintenance round failed")
        await asyncio.sleep(interval_seconds)


def generate_after_completion(
    engine: Engine,
    settings: Settings,
    storage: Storage,
    interview_id: str,
    report_settings: ReportSettings | None = None,
) -> None:
    """Background task run when the agent reports ``completed``.

    Failures are logged (with the id only) and left to :func:`maintenance_loop`, which
    retries interviews that still have no report after ``REPORT_DRAIN_SECONDS``.
    """
    try:
        generate_and_notify(engine, settings, storage, interview_id, report_settings)
    except ReportClaimed:
        logger.info("report not generated again (made or being made): %s", interview_id)
    except ReportError:
        logger.info("report not generated (interview no longer completed): %s", interview_id)
    except Exception:
        logger.exception("report generation failed, maintenance will retry: %s", interview_id)
