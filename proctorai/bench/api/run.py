"""One benchmark run: for each database, serve a fresh API, load it, check what it stored."""

from __future__ import annotations

import asyncio
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proctorai.bench.api.api_server import ApiProcess, ApiServer, ApiThread
from proctorai.bench.api.load import create_interviews, ingest_events
from proctorai.bench.api.measure import Budget
from proctorai.bench.api.servers import Credentials, SharedServers, stored_rows
from proctorai.private_servers import LiveKitServerProcess


@dataclass(frozen=True)
class BenchConfig:
    """What to run: clients, the length of each phase, the databases, the batch size."""

    clients: int = 50
    seconds: float | None = 10.0
    requests: int | None = None
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    batch: int = 1
    # Serve the API in a thread of this process instead of a uvicorn child process:
    # quicker to start, but no server CPU figure and one GIL for both sides (tests only).
    in_process: bool = False

    def budget(self) -> Budget:
        return Budget(self.seconds, self.requests)


def machine() -> dict[str, Any]:
    """The honest context of the figures: one small machine runs everything."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "client_and_server_on_same_machine": True,
    }


def run_database(kind: str, config: BenchConfig, servers: SharedServers) -> dict[str, Any]:
    """Both phases against one fresh database; the figures and the exactly-once check."""
    load_before = _load_average()
    with tempfile.TemporaryDirectory(prefix=f"proctorai-bench-{kind}-") as tmp:
        workdir = Path(tmp)
        credentials = Credentials()
        url = servers.database_url(kind, workdir)
        server = ApiThread if config.in_process else ApiProcess
        api: ApiServer = server(workdir, url, servers.livekit, credentials)
        try:
            api.start()
            cpu = api.cpu_seconds()
            created, interview_ids = asyncio.run(
                create_interviews(
                    api.url, credentials.recruiter_key, config.clients, config.budget()
                )
            )
            created.server_cpu, cpu = api.cpu_seconds() - cpu, api.cpu_seconds()
            events, ledger = asyncio.run(
                ingest_events(
                    api.url,
                    credentials.service_token,
                    interview_ids,
                    config.clients,
                    config.budget(),
                    config.batch,
                )
            )
            events.server_cpu = api.cpu_seconds() - cpu
        finally:
            api.stop()
        rows = stored_rows(url)
        logged_errors = api.logged_errors()
    expected = {
        "interviews": len(interview_ids),
        "events": len(ledger.anomalies),
        "events_started": len(ledger.started),
        "events_ended": len(ledger.ended),
    }
    return {
        "interviews": created.summary(),
        "events": events.summary(),
        "event_messages_resent": ledger.resent,
        "stored": rows,
        "expected": expected,
        "stored_exactly_once": rows == expected,
        "server_log_errors": logged_errors,
        # Other work on the machine shows here: the 1-minute load before and after.
        "load_average": [load_before, _load_average()],
    }


def _load_average() -> float:
    return round(os.getloadavg()[0], 2)


def run_benchmark(
    config: BenchConfig, livekit: LiveKitServerProcess | None = None
) -> dict[str, Any]:
    """Run every database of ``config``; the result is what ``--json`` prints.

    ``livekit``: a running livekit-server to use instead of starting one.
    """
    results: dict[str, Any] = {}
    context = machine()
    with SharedServers(livekit) as servers:
        for kind in config.databases:
            results[kind] = run_database(kind, config, servers)
    errors = sum(r["interviews"]["errors"] + r["events"]["errors"] for r in results.values())
    exactly_once = all(r["stored_exactly_once"] for r in results.values())
    return {
        "benchmark": "control_api",
        "clients": config.clients,
        "seconds_per_phase": config.seconds,
        "requests_per_phase": config.requests,
        "events_per_request": config.batch,
        "api_served_by": (
            "a thread of the benchmark process (test mode)"
            if config.in_process
            else "uvicorn, one process, as `proctorai up` runs it"
        ),
        "machine": context,
        "results": results,
        "errors": errors,
        "ok": errors == 0 and exactly_once,
    }
