"""What the API runs in the background for reports: evaluate, notify, purge.

- :func:`generate_and_notify`: the one call to make when an interview reaches
  ``completed`` (the agent closed it, or LiveKit's ``room_finished``): evaluate, store,
  mark ``evaluated``, then notify the ATS if a webhook is configured.
- :func:`run_maintenance_once`: evaluates every completed interview still without a
  report after ``grace`` (so a missed trigger or a crash mid-evaluation is caught up,
  without racing the trigger itself) and purges media past the retention period.
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
from control_api.reports.service import ReportError, generate_report, interviews_awaiting_report
from control_api.reports.settings import ReportSettings
from control_api.reports.webhook import DeliveryResult, deliver, report_payload
from control_api.settings import Settings
from control_api.storage import Storage

logger = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(minutes=2)


def generate_and_notify(
    engine: Engine,
    settings: Settings,
    storage: Storage,
    interview_id: str,
    report_settings: ReportSettings | None = None,
) -> DeliveryResult | None:
    """Evaluate a completed interview and tell the ATS; None when no webhook is set."""
    report_settings = report_settings or ReportSettings()
    document = generate_report(engine, settings, storage, interview_id, report_settings)
    if not report_settings.ats_webhook_url:
        return None
    return deliver(
        engine, report_settings, interview_id, report_payload(document, settings.public_url)
    )


@dataclass(frozen=True, slots=True)
class MaintenanceResult:
    reports_generated: int
    reports_failed: int
    media_deleted: int


def run_maintenance_once(
    engine: Engine,
    settings: Settings,
    storage: Storage,
    report_settings: ReportSettings | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> MaintenanceResult:
    report_settings = report_settings or ReportSettings()
    generated = failed = 0
    for interview_id in interviews_awaiting_report(engine, min_age=grace):
        try:
            generate_and_notify(engine, settings, storage, interview_id, report_settings)
            generated += 1
        except ReportError:
            failed += 1  # changed status or deleted meanwhile
        except Exception:
            failed += 1
            logger.exception("report generation failed: %s", interview_id)
    purge = purge_expired_media(engine, storage, settings.media_retention_days)
    return MaintenanceResult(generated, failed, purge.deleted)


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
    engine: Engine, settings: Settings, storage: Storage, interview_id: str
) -> None:
    """Background task run when an interview reaches ``completed``.

    Failures are logged (with the id only) and left to :func:`maintenance_loop`, which
    retries interviews that still have no report after the grace period.
    """
    try:
        generate_and_notify(engine, settings, storage, interview_id)
    except ReportError:
        logger.info("report not generated (interview no longer completed): %s", interview_id)
    except Exception:
        logger.exception("report generation failed, maintenance will retry: %s", interview_id)
