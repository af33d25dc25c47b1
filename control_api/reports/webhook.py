"""Tell an applicant tracking system (ATS) that a report is ready: signed, retried, logged.

Each attempt POSTs the JSON body with these headers:

- ``X-ProctorAI-Event``: ``report.ready``;
- ``X-ProctorAI-Delivery``: one id per delivery, the same on every retry (deduplicate on it).
  For ``report.ready`` it is derived from the report id (:func:`report_delivery_id`), so
  a report is one delivery however often it is sent, and one that was accepted (a 2xx
  is logged) is not sent again; a regenerated report has a new id, hence a new delivery;
- ``X-ProctorAI-Timestamp``: Unix seconds when the attempt was signed;
- ``X-ProctorAI-Signature``: ``sha256=<hex>``, the HMAC-SHA256 with
  ``ATS_WEBHOOK_SECRET`` of ``"<timestamp>." + body``.

A receiver recomputes the HMAC over the raw body and refuses timestamps older than a few
minutes (:func:`verify_signature` does both), so a captured request cannot be replayed
later. Network errors, 408, 429 and 5xx answers are retried with exponential back-off
(``ATS_WEBHOOK_BACKOFF_SECONDS`` doubled each time, or the receiver's ``Retry-After`` if
longer, at most :data:`MAX_BACKOFF_SECONDS`); other answers end the delivery. Every
attempt is a row in ``webhook_delivery``.

What a receiver sees on retries: the same ``X-ProctorAI-Delivery`` and the same body each
time, with a new timestamp and signature per attempt; it should store the delivery id and
answer 2xx to one it already has.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_attempt

from contracts.retry import backoff, is_retryable_status
from control_api.reports.models import WebhookDelivery
from control_api.reports.schema import ReportDocument
from control_api.reports.settings import ReportSettings

logger = logging.getLogger(__name__)

EVENT_REPORT_READY = "report.ready"
SIGNATURE_HEADER = "X-ProctorAI-Signature"
TIMESTAMP_HEADER = "X-ProctorAI-Timestamp"
DELIVERY_HEADER = "X-ProctorAI-Delivery"
EVENT_HEADER = "X-ProctorAI-Event"
MAX_BACKOFF_SECONDS = 300.0
DEFAULT_TOLERANCE_SECONDS = 300
_DELIVERY_NAMESPACE = uuid.UUID("3f0c8d2e-6c1b-5a7e-9d4f-2b8e1a6c9f30")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` of ``"<timestamp>." + body`` under ``secret``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    given: str,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver does: check the HMAC in constant time and the timestamp's age."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), given)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivery_id: str
    delivered: bool
    attempts: int
    last_status: int | None
    last_error: str | None


def _target(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0


def report_delivery_id(report_id: str, event: str = EVENT_REPORT_READY) -> str:
    """The delivery id of ``event`` for one report: the same whenever it is computed."""
    return str(uuid.uuid5(_DELIVERY_NAMESPACE, f"{event}:{report_id}"))


def _already_delivered(engine: Engine, delivery_id: str) -> bool:
    with Session(engine) as session:
        found = session.exec(
            select(WebhookDelivery.id).where(
                WebhookDelivery.delivery_id == delivery_id,
                col(WebhookDelivery.succeeded).is_(True),
            )
        ).first()
    return found is not None


def _log_attempt(engine: Engine, row: WebhookDelivery) -> None:
    with Session(engine) as session:
        session.add(row)
        session.commit()


def deliver(
    engine: Engine,
    report_settings: ReportSettings,
    interview_id: str,
    payload: dict[str, Any],
    event: str = EVENT_REPORT_READY,
    sleep: Callable[[float], None] = time.sleep,
    client: httpx.Client | None = None,
    delivery_id: str | None = None,
) -> DeliveryResult:
    """POST ``payload`` to ``ATS_WEBHOOK_URL`` until it is accepted or attempts run out.

    ``delivery_id`` keys the delivery (default: a new one); a key already accepted by
    the receiver is not sent again (``attempts`` is then 0).
    """
    url = report_settings.ats_webhook_url
    secret = report_settings.ats_webhook_secret
    if not url or secret is None:
        raise ValueError("ATS_WEBHOOK_URL and ATS_WEBHOOK_SECRET must both be set")
    if delivery_id is not None and _already_delivered(engine, delivery_id):
        logger.info("webhook already delivered, not sent again: %s", interview_id)
        return DeliveryResult(delivery_id, True, 0, None, None)
    delivery_id = delivery_id or str(uuid.uuid4())
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    own = client is None
    http = client or httpx.Client(timeout=report_settings.ats_webhook_timeout_seconds)
    exponential = backoff(report_settings.ats_webhook_backoff_seconds, MAX_BACKOFF_SECONDS)
    numbers = itertools.count(1)

    def attempt_once() -> _Attempt:
        number = next(numbers)
        outcome = _post(http, url, body, event, delivery_id, secret.get_secret_value())
        _log_attempt(engine, outcome.row(delivery_id, interview_id, event, _target(url), number))
        if outcome.ok:
            logger.info("webhook delivered: %s attempt=%d", interview_id, number)
        else:
            logger.warning(
                "webhook attempt failed: %s attempt=%d status=%s error=%s",
                interview_id,
                number,
                outcome.status,
                outcome.error,
            )
        return outcome

    def wait(state: RetryCallState) -> float:
        """The exponential wait, or longer when the receiver asked (Retry-After)."""
        asked = state.outcome.result().retry_after if state.outcome else 0.0
        return min(max(exponential(state), asked), MAX_BACKOFF_SECONDS)

    retrying = Retrying(
        stop=stop_after_attempt(report_settings.ats_webhook_max_attempts),
        wait=wait,
        retry=retry_if_result(lambda outcome: not outcome.ok and outcome.retryable),
        sleep=sleep,
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
    )
    try:
        last: _Attempt = retrying(attempt_once)
    finally:
        if own:
            http.close()
    attempts = next(numbers) - 1
    return DeliveryResult(
        delivery_id, last.ok, attempts, last.status, None if last.ok else last.error
    )


@dataclass(frozen=True, slots=True)
class _Attempt:
    ok: bool
    retryable: bool
    status: int | None
    error: str | None
    retry_after: float
    duration_ms: int

    def row(
        self, delivery_id: str, interview_id: str, event: str, target: str, number: int
    ) -> WebhookDelivery:
        return WebhookDelivery(
            delivery_id=delivery_id,
            interview_id=interview_id,
            event=event,
            target=target,
            attempt=number,
            status_code=self.status,
            error=self.error,
            succeeded=self.ok,
            duration_ms=self.duration_ms,
        )


def _post(
    http: httpx.Client, url: str, body: bytes, event: str, delivery_id: str, secret: str
) -> _Attempt:
    """One signed POST (a new timestamp and signature per attempt)."""
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: signature(secret, stamp, body),
    }
    began = time.monotonic()
    try:
        response = http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - began) * 1000)
        return _Attempt(False, True, None, type(exc).__name__, 0.0, elapsed)
    elapsed = int((time.monotonic() - began) * 1000)
    status = response.status_code
    return _Attempt(
        200 <= status < 300,
        is_retryable_status(status),
        status,
        None,
        _retry_after(response),
        elapsed,
    )


def report_payload(document: ReportDocument, public_url: str) -> dict[str, Any]:
    """The ``report.ready`` body: the report and where to fetch its renderings."""
    base = f"{public_url}/interviews/{document.interview.id}"
    return {
        "event": EVENT_REPORT_READY,
        "interview_id": document.interview.id,
        "report_id": document.report_id,
        "links": {
            "json": f"{base}/report",
            "html": f"{base}/report.html",
            "pdf": f"{base}/report.pdf",
        },
        "report": document.model_dump(mode="json"),
    }


def deliver_report(
    engine: Engine, report_settings: ReportSettings, document: ReportDocument, public_url: str
) -> DeliveryResult:
    """Send ``report.ready`` for ``document``, keyed by its report id (sent once)."""
    return deliver(
        engine,
        report_settings,
        document.interview.id,
        report_payload(document, public_url),
        delivery_id=report_delivery_id(document.report_id),
    )


def deliveries_of(engine: Engine, interview_id: str) -> list[WebhookDelivery]:
    """The delivery log of one interview, oldest attempt first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.exec(
                select(WebhookDelivery)
                .where(WebhookDelivery.interview_id == interview_id)
                .order_by(col(WebhookDelivery.attempted_at), col(WebhookDelivery.id))
            ).all()
        )
