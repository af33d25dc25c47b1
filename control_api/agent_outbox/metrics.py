"""The dead letters in Prometheus' text format, read from the database at each scrape.

A collector of its own registry rather than a module-level gauge: the numbers live in
the database (every API process sees the same), and the test suite builds many apps in
one process, which a process-global registry would not allow.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlmodel import Session

from control_api.agent_outbox.service import counts_by_kind_and_status


class DeadLetterCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "proctorai_agent_dead_letters",
            "Outbox rows the control API refused for good, as reported by the agents",
            labels=["kind", "status"],
        )
        with Session(self._engine) as session:
            for kind, status, count in counts_by_kind_and_status(session):
                gauge.add_metric([kind, str(status or "")], count)
        yield gauge


def render_metrics(engine: Engine) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeadLetterCollector(engine))
    return generate_latest(registry)
