"""``python -m proctorai.bench.api``: interviews created and events ingested per second.

Prints a table per database and, last, one JSON line; exits 1 when any request failed
or any event was not stored exactly once.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from proctorai.bench.api.run import BenchConfig, run_benchmark
from proctorai.bench.api.servers import DATABASES

_COLUMNS = (
    ("phase", "{:<10}"),
    ("requests", "{:>8}"),
    ("errors", "{:>6}"),
    ("req/s", "{:>7}"),
    ("items/s", "{:>8}"),
    ("p50 ms", "{:>7}"),
    ("p95 ms", "{:>7}"),
    ("p99 ms", "{:>7}"),
    ("srv cpu ms/req", "{:>14}"),
    ("srv cpu busy", "{:>12}"),
    ("client cpu busy", "{:>15}"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proctorai bench api",
        description="Control API throughput with concurrent clients on SQLite and PostgreSQL.",
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=float, help="length of each phase (default 10 s)")
    length.add_argument("--requests", type=int, help="requests in each phase, instead")
    parser.add_argument(
        "--db", choices=[*DATABASES, "both"], default="both", help="database(s) to run on"
    )
    parser.add_argument(
        "--batch", type=int, default=1, help="event messages per request (the live agent: 1)"
    )
    parser.add_argument("--json", action="store_true", help="only the JSON line on stdout")
    return parser


def _row(values: list[Any]) -> str:
    return "  ".join(
        fmt.format("-" if v is None else v) for (_, fmt), v in zip(_COLUMNS, values, strict=True)
    )


def render(result: dict[str, Any]) -> str:
    """The human-readable report: context, one table per database, the stored-rows check."""
    m = result["machine"]
    length = (
        f"{result['seconds_per_phase']:g} s"
        if result["seconds_per_phase"] is not None
        else f"{result['requests_per_phase']} requests"
    )
    lines = [
        f"Control API benchmark: {result['clients']} concurrent clients, {length} per phase, "
        f"{result['events_per_request']} event message(s) per request.",
        f"Machine: {m['cpus']} CPUs, {m['platform']}, Python {m['python']}; the clients, the API "
        f"({result['api_served_by']}), livekit-server and the database all share it.",
        "items/s: interviews created, or new event messages (start or end of an anomaly) stored;"
        " srv cpu: CPU time of the API process per request, and its share of one core.",
    ]
    for kind, figures in result["results"].items():
        before, after = figures["load_average"]
        lines += [
            "",
            f"[{kind}]  (load average {before} before, {after} after: other work on the machine)",
            _row([name for name, _ in _COLUMNS]),
        ]
        for phase in ("interviews", "events"):
            s = figures[phase]
            lines.append(
                _row(
                    [
                        phase,
                        s["requests"],
                        s["errors"],
                        s["requests_per_s"],
                        s["items_per_s"],
                        s["p50_ms"],
                        s["p95_ms"],
                        s["p99_ms"],
                        s["server_cpu_ms_per_request"],
                        s["server_cpu_share"],
                        s["client_cpu_share"],
                    ]
                )
            )
            if s["error_kinds"]:
                lines.append(f"  errors by kind: {s['error_kinds']}")
        stored, expected = figures["stored"], figures["expected"]
        verdict = "yes" if figures["stored_exactly_once"] else "NO"
        lines.append(
            f"stored exactly once: {verdict} ({stored['events']} event rows for "
            f"{expected['events']} acknowledged anomalies, {figures['event_messages_resent']} "
            f"messages resent as duplicates; {stored['interviews']} interview rows for "
            f"{expected['interviews']} created); server log errors: {figures['server_log_errors']}"
        )
    lines.append("")
    lines.append("OK: zero errors" if result["ok"] else "FAILED: see errors above")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    counts = [args.clients, args.batch] + ([args.requests] if args.requests is not None else [])
    if min(counts) < 1 or (args.seconds is not None and args.seconds <= 0):
        print("--clients, --batch, --requests and --seconds must be positive", file=sys.stderr)
        return 2
    config = BenchConfig(
        clients=args.clients,
        seconds=None if args.requests is not None else (args.seconds or 10.0),
        requests=args.requests,
        databases=DATABASES if args.db == "both" else (args.db,),
        batch=args.batch,
    )
    result = run_benchmark(config)
    if not args.json:
        print(render(result), flush=True)
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
