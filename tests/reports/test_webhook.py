"""The ATS webhook: signed bodies checked by a real local HTTP receiver, retries, the log."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine

from control_api.reports.maintenance import generate_and_notify
from control_api.reports.service import generate_report
from control_api.reports.settings import ReportSettings
from control_api.reports.webhook import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    TIMESTAMP_HEADER,
    deliver,
    deliver_report,
    deliveries_of,
    report_delivery_id,
    report_payload,
    signature,
    verify_signature,
)
from control_api.settings import Settings
from control_api.storage import Storage
from tests.reports.ats_receiver import SECRET, AtsReceiver
from tests.reports.conftest import Seeded


def _settings(url: str, attempts: int = 5) -> ReportSettings:
    return ReportSettings(
        _env_file=None,  # type: ignore[call-arg]
        ats_webhook_url=url,
        ats_webhook_secret=SecretStr(SECRET),
        ats_webhook_max_attempts=attempts,
        ats_webhook_backoff_seconds=2.0,
        ats_webhook_timeout_seconds=5.0,
    )


def test_signature_verifies_only_the_exact_body_secret_and_a_fresh_timestamp() -> None:
    body = b'{"event":"report.ready"}'
    now = 1_780_000_000
    signed = signature(SECRET, now, body)
    assert signed.startswith("sha256=") and len(signed) == 7 + 64
    assert verify_signature(SECRET, str(now), body, signed, now=now + 10)
    assert not verify_signature(SECRET, str(now), body + b" ", signed, now=now)
    assert not verify_signature("another-secret", str(now), body, signed, now=now)
    assert not verify_signature(SECRET, str(now + 1), body, signed, now=now)
    assert not verify_signature(SECRET, str(now), body, signed, now=now + 301)
    assert not verify_signature(SECRET, "yesterday", body, signed, now=now)


def test_a_failing_receiver_is_retried_with_backoff_and_every_attempt_is_logged(
    engine: Engine,
) -> None:
    sleeps: list[float] = []
    payload: dict[str, Any] = {"event": "report.ready", "interview_id": "i-1", "score": 73.2}
    with AtsReceiver([503, 503]) as receiver:
        url = receiver.url
        result = deliver(engine, _settings(url), "i-1", payload, sleep=sleeps.append)

    assert result.delivered and result.attempts == 3 and result.last_status == 200
    assert sleeps == [2.0, 4.0]
    assert len(receiver.received) == 3
    assert all(r.verified for r in receiver.received)
    assert {r.headers[DELIVERY_HEADER] for r in receiver.received} == {result.delivery_id}
    assert all(r.headers[EVENT_HEADER] == "report.ready" for r in receiver.received)
    assert json.loads(receiver.received[0].body) == payload
    log = deliveries_of(engine, "i-1")
    assert [(d.attempt, d.status_code, d.succeeded) for d in log] == [
        (1, 503, False),
        (2, 503, False),
        (3, 200, True),
    ]
    assert {d.delivery_id for d in log} == {result.delivery_id}
    assert log[0].target == url.split("?")[0]  # no query string in the log


def test_too_early_is_retried_and_the_receivers_retry_after_is_honoured(
    engine: Engine,
) -> None:
    """429 with Retry-After: 7 waits 7 s (more than the 2 s backoff); 425 Too Early is
    retryable like every status a later attempt may fix (contracts.retry)."""
    sleeps: list[float] = []
    with AtsReceiver([(429, 7), 425]) as receiver:
        result = deliver(engine, _settings(receiver.url), "i-4", {"x": 1}, sleep=sleeps.append)

    assert result.delivered and result.attempts == 3
    assert sleeps == [7.0, 4.0]
    assert [d.status_code for d in deliveries_of(engine, "i-4")] == [429, 425, 200]


def test_a_refusal_is_not_retried(engine: Engine) -> None:
    sleeps: list[float] = []
    with AtsReceiver([], secret="the-receiver-knows-another-secret") as receiver:
        result = deliver(engine, _settings(receiver.url), "i-2", {"x": 1}, sleep=sleeps.append)

    assert not result.delivered and result.attempts == 1 and result.last_status == 401
    assert sleeps == [] and not receiver.received[0].verified
    assert [d.status_code for d in deliveries_of(engine, "i-2")] == [401]


def test_an_unreachable_receiver_is_retried_until_attempts_run_out(engine: Engine) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    sleeps: list[float] = []
    result = deliver(engine, _settings(url, attempts=3), "i-3", {"x": 1}, sleep=sleeps.append)

    assert not result.delivered and result.attempts == 3
    assert sleeps == [2.0, 4.0]
    log = deliveries_of(engine, "i-3")
    assert [(d.status_code, d.error) for d in log] == [(None, "ConnectError")] * 3


def test_a_completed_interview_is_evaluated_and_the_report_sent(
    engine: Engine, settings: Settings, storage: Storage, seeded: Seeded
) -> None:
    with AtsReceiver([]) as receiver:
        before = time.time()
        result = generate_and_notify(
            engine, settings, storage, seeded.interview_id, _settings(receiver.url)
        )

    assert result is not None and result.delivered and result.attempts == 1
    sent = receiver.received[0]
    assert sent.verified and int(sent.headers[TIMESTAMP_HEADER]) >= int(before)
    body = json.loads(sent.body)
    assert body["event"] == "report.ready"
    assert body["interview_id"] == seeded.interview_id
    assert body["links"]["pdf"] == f"http://testserver/interviews/{seeded.interview_id}/report.pdf"
    assert body["report"]["schema_version"] == 1
    assert body["report"]["proctoring"]["scorecard"]["score"] == 73.2


def test_a_report_is_one_delivery_keyed_by_its_id_and_not_sent_again(
    engine: Engine, settings: Settings, storage: Storage, seeded: Seeded
) -> None:
    document = generate_report(engine, settings, storage, seeded.interview_id)
    key = report_delivery_id(document.report_id)
    sleeps: list[float] = []
    with AtsReceiver([503]) as receiver:
        first = deliver(
            engine,
            _settings(receiver.url),
            seeded.interview_id,
            report_payload(document, settings.public_url),
            sleep=sleeps.append,
            delivery_id=key,
        )
        again = deliver_report(engine, _settings(receiver.url), document, settings.public_url)

    assert (first.delivery_id, first.delivered, first.attempts) == (key, True, 2)
    assert (again.delivery_id, again.delivered, again.attempts) == (key, True, 0)
    # The receiver saw the retry under the same key and body, and nothing after.
    assert [r.headers[DELIVERY_HEADER] for r in receiver.received] == [key, key]
    assert receiver.received[0].body == receiver.received[1].body
    assert [(d.delivery_id, d.succeeded) for d in deliveries_of(engine, seeded.interview_id)] == [
        (key, False),
        (key, True),
    ]
    assert report_delivery_id(document.report_id) == key != report_delivery_id("another-report")
