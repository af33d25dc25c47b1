"""What the worker says about its outbox: the health check's verdict and the metrics.

Both read the outbox file (:meth:`agent.outbox.Outbox.status`), not the memory of one
process: rows are delivered by the job processes as well as by the worker's own
flusher, and only the file knows what all of them met.

Unhealthy means someone must act: the API refuses the service token (a rotation half
done; rows pile up until the tokens agree again), or rows were refused for good and the
API has not been told yet. An API that is merely away is not a problem of this worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agent.outbox import Outbox, OutboxStatus


def health_problem(status: OutboxStatus) -> str | None:
    """Why the worker is unhealthy (words for an operator, no secret), or None."""
    problems = []
    refused = status.credentials_refused
    if refused is not None:
        since = datetime.fromtimestamp(refused.since, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        problems.append(
            f"the control API refuses the agent's SERVICE_TOKEN (HTTP {refused.status} since "
            f"{since}, {refused.refusals} refused calls); {status.pending} outbox rows are "
            "kept and retried: give the agent the SERVICE_TOKEN the control API has"
        )
    if status.unreported_dead_letters:
        problems.append(
            f"{status.unreported_dead_letters} outbox rows refused by the control API are "
            "not reported to it yet"
        )
    return "; ".join(problems) or None


class OutboxCollector(Collector):
    """Prometheus metrics of the outbox file, read at each scrape."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def collect(self) -> Iterator[Metric]:
        status = self._outbox.status()
        yield GaugeMetricFamily(
            "proctorai_agent_outbox_pending", "Rows waiting for delivery", value=status.pending
        )
        dead = GaugeMetricFamily(
            "proctorai_agent_outbox_dead_letters",
            "Rows the control API refused for good, by whether it was told",
            labels=["reported"],
        )
        dead.add_metric(["true"], status.dead_letters - status.unreported_dead_letters)
        dead.add_metric(["false"], status.unreported_dead_letters)
        yield dead
        yield GaugeMetricFamily(
            "proctorai_agent_outbox_credentials_refused",
            "1 while the control API refuses the SERVICE_TOKEN",
            value=int(status.credentials_refused is not None),
        )
        yield CounterMetricFamily(
            "proctorai_agent_outbox_credential_refusals",
            "Deliveries the control API refused with 401/403",
            value=status.credential_refusals_total,
        )
