"""Benchmarks of the live agent through the real livekit-server and the real control API.

``python -m agent.bench latency [--cycles 4] [--sensitivity standard]``
    One simulated candidate; its face switches to an impostor ``cycles`` times. For each
    switch: seconds from the impostor's first frame to the hidden proctor receiving the
    ``face_mismatch`` start, split into confirmation (smoothing) and delivery.

``python -m agent.bench capacity [--counts 1,2,4] [--seconds 40]``
    N candidates at once on one worker process (2 frames per second each, voice checks
    when the engine provides them); at the end of each run one impostor switch per
    candidate. Per N: anomalies detected, latency p50/p95, frames analysed per second.

Both start a private livekit-server, the control API (uvicorn, in this process) and the
worker as a separate process (``python -m agent.worker start``), and print figures and,
last, one JSON line. Run them from a repository checkout (they use ``tests/sim``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 3)


class Stack:
    """livekit-server + control API + one worker process, on free ports."""

    def __init__(self, workdir: Path, sensitivity: str, max_jobs: int) -> None:
        from tests.agent.servers import UvicornThread, free_port
        from tests.livekit_server import TestLiveKitServer

        self.workdir = workdir
        self.sensitivity = sensitivity
        self.max_jobs = max_jobs
        self.livekit = TestLiveKitServer()
        self.api_thread = UvicornThread(None, free_port())
        self.agent_name = f"proctorai-bench-{secrets.token_hex(3)}"
        self.recruiter_key = secrets.token_urlsafe(24)
        self.service_token = secrets.token_urlsafe(24)
        self.worker: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        from control_api.app import create_app
        from control_api.settings import Settings
        from tests.agent.servers import free_port

        self.livekit.start()
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=self.workdir / "api",
            public_url=self.api_thread.url,
            recruiter_api_key=self.recruiter_key,  # type: ignore[arg-type]
            service_token=self.service_token,  # type: ignore[arg-type]
            link_secret=secrets.token_urlsafe(32),  # type: ignore[arg-type]
            livekit_url=self.livekit.url,
            livekit_api_key=self.livekit.api_key,
            livekit_api_secret=self.livekit.api_secret,  # type: ignore[arg-type]
            agent_name=self.agent_name,
            log_level="WARNING",
        )
        self.api_thread.app = create_app(settings)
        self.api_thread.start()
        env = {
            **os.environ,
            "DATA_DIR": str(self.workdir / "agent"),
            "CONTROL_API_URL": self.api_thread.url,
            "SERVICE_TOKEN": self.service_token,
            "LIVEKIT_URL": self.livekit.url,
            "LIVEKIT_API_KEY": self.livekit.api_key,
            "LIVEKIT_API_SECRET": self.livekit.api_secret,
            "AGENT_NAME": self.agent_name,
            "AGENT_HTTP_PORT": str(free_port()),
            "AGENT_MAX_JOBS": str(self.max_jobs),
            "HEARTBEAT_INTERVAL": "1",
            "PROCTOR_POLL_INTERVAL": "1",
            "ENROLLMENT_FRAMES": "3",
            "OPENAI_API_KEY": "",
            "LIVEKIT_LOG_LEVEL": "INFO",
        }
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "agent.worker", "start"],
            env=env,
            cwd=REPO_ROOT,
            stdout=open(self.workdir / "worker.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        url = f"http://127.0.0.1:{env['AGENT_HTTP_PORT']}/worker"
        while True:
            try:
                if httpx.get(url, timeout=1).json().get("agent_name") == self.agent_name:
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start; see {self.workdir / 'worker.log'}")
            time.sleep(0.5)
        time.sleep(2)  # registration with livekit-server

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
            # keep the worker's log for inspection after the temporary folder is gone
            log = self.workdir / "worker.log"
            if log.exists():
                Path(tempfile.gettempdir(), "proctorai-bench-worker.log").write_bytes(
                    log.read_bytes()
                )
        self.api_thread.stop()
        self.livekit.stop()

    async def interview(self, http: httpx.AsyncClient) -> dict[str, Any]:
        demo = REPO_ROOT / "demo"
        response = await http.post(
            "/interviews",
            headers={"Authorization": f"Bearer {self.recruiter_key}"},
            data={
                "title": "Benchmark",
                "candidate_name": "Bench Candidate",
                "candidate_email": "bench@example.com",
                "job_description": (demo / "job_description.txt").read_text(),
                "duration_minutes": "30",
                "question_count": "10",
                "sensitivity": self.sensitivity,
            },
            files={"resume": ("resume.txt", (demo / "resume.txt").read_bytes(), "text/plain")},
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


async def _session(http: httpx.AsyncClient, link: str) -> dict[str, Any]:
    response = await http.post(f"/links/{link.rsplit('/', 1)[1]}/session")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def _run(stack: Stack, count: int, cues: list[tuple[float, str]]) -> list[dict[str, Any]]:
    """Run ``count`` candidates with the same face cues; one proctor each."""
    from tests.sim.candidate import CandidateScript, FaceCue, SimulatedCandidate
    from tests.sim.media import (
        CANDIDATE_SPEAKER,
        face_path,
        frame_from_image,
        load_speech_48k,
        speaker_files,
    )
    from tests.sim.proctor import SimulatedProctor

    frames = {
        "genuine": frame_from_image(face_path("obama.jpg")),
        "impostor": frame_from_image(face_path("biden.jpg")),
    }
    speech = load_speech_48k(speaker_files(CANDIDATE_SPEAKER), gap_seconds=0.3)
    pairs = []
    async with httpx.AsyncClient(base_url=stack.api_thread.url, timeout=30) as http:
        for _ in range(count):
            interview = await stack.interview(http)
            proctor_session = await _session(http, interview["proctor_link"])
            proctor = SimulatedProctor(
                proctor_session["livekit_url"], proctor_session["livekit_token"]
            )
            await proctor.start()
            candidate_session = await _session(http, interview["candidate_link"])
            script = CandidateScript(
                frames=frames,
                faces=[FaceCue(at, name) for at, name in cues],
                speech=speech,
                answer_seconds=6.0,
            )
            candidate = SimulatedCandidate(
                candidate_session["livekit_url"], candidate_session["livekit_token"], script
            )
            pairs.append((candidate, proctor))
        await asyncio.gather(*(c.start() for c, _ in pairs))
        await asyncio.sleep(cues[-1][0] + 12)
        results = []
        for candidate, proctor in pairs:
            switches = [
                candidate.log.switched_at[i]
                for i, (_, name) in enumerate(cues)
                if name == "impostor" and i in candidate.log.switched_at
            ]
            starts = sorted(
                (
                    r
                    for r in proctor.log.anomalies
                    if r.event.type.value == "face_mismatch" and r.event.state.value == "started"
                ),
                key=lambda r: r.at,
            )
            others = [
                r.event.type.value
                for r in proctor.log.anomalies
                if r.event.type.value != "face_mismatch" and r.event.state.value == "started"
            ]
            latencies = []
            for switch in switches:
                match = next((r for r in starts if r.at >= switch), None)
                if match is not None:
                    latencies.append(
                        {
                            "total": match.at - switch,
                            "confirmation": match.event.confirmed_at - switch,
                            "delivery": match.at - match.event.confirmed_at,
                        }
                    )
            results.append(
                {
                    "switches": len(switches),
                    "detected": len(latencies),
                    "latencies": latencies,
                    "false_anomalies": others,
                    "candidate_received": len(candidate.log.received),
                    "heartbeats": len(proctor.log.heartbeats),
                }
            )
        for candidate, proctor in pairs:
            await candidate.stop()
            await proctor.stop()
    return results


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = [lat for r in results for lat in r["latencies"]]
    totals = [lat["total"] for lat in latencies]
    return {
        "switches": sum(r["switches"] for r in results),
        "detected": sum(r["detected"] for r in results),
        "latency_p50": _percentile(totals, 0.5),
        "latency_p95": _percentile(totals, 0.95),
        "confirmation_p50": _percentile([lat["confirmation"] for lat in latencies], 0.5),
        "delivery_p50": _percentile([lat["delivery"] for lat in latencies], 0.5),
        "delivery_p95": _percentile([lat["delivery"] for lat in latencies], 0.95),
        "false_anomalies": sum(len(r["false_anomalies"]) for r in results),
        "candidate_received": sum(r["candidate_received"] for r in results),
    }


def latency(args: argparse.Namespace) -> dict[str, Any]:
    cues: list[tuple[float, str]] = [(0, "genuine")]
    at = 15.0
    for _ in range(args.cycles):
        cues += [(at, "impostor"), (at + 10, "genuine")]
        at += 22
    with tempfile.TemporaryDirectory(prefix="proctorai-bench-") as tmp:
        stack = Stack(Path(tmp), args.sensitivity, max_jobs=4)
        stack.start()
        try:
            results = asyncio.run(_run(stack, 1, cues))
        finally:
            stack.stop()
    summary = {"benchmark": "latency", "sensitivity": args.sensitivity, **_summary(results)}
    print(f"impostor switches: {summary['switches']}, detected: {summary['detected']}")
    print(
        f"switch -> proctor received: p50 {summary['latency_p50']} s, "
        f"p95 {summary['latency_p95']} s"
    )
    print(f"  of which smoothing (switch -> confirmed): p50 {summary['confirmation_p50']} s")
    print(
        f"  of which delivery (confirmed -> received): p50 {summary['delivery_p50']} s, "
        f"p95 {summary['delivery_p95']} s"
    )
    return summary


def capacity(args: argparse.Namespace) -> dict[str, Any]:
    counts = [int(c) for c in args.counts.split(",")]
    runs = []
    for count in counts:
        cues = [(0.0, "genuine"), (args.seconds, "impostor"), (args.seconds + 12, "genuine")]
        with tempfile.TemporaryDirectory(prefix="proctorai-bench-") as tmp:
            stack = Stack(Path(tmp), args.sensitivity, max_jobs=max(counts))
            stack.start()
            try:
                started = time.monotonic()
                results = asyncio.run(_run(stack, count, cues))
                elapsed = time.monotonic() - started
            finally:
                stack.stop()
        summary = {"candidates": count, "seconds": round(elapsed, 1), **_summary(results)}
        runs.append(summary)
        print(
            f"{count:>3} candidates: detected {summary['detected']}/{summary['switches']}, "
            f"latency p50 {summary['latency_p50']} s p95 {summary['latency_p95']} s, "
            f"false {summary['false_anomalies']}"
        )
    return {
        "benchmark": "capacity",
        "sensitivity": args.sensitivity,
        "cores": os.cpu_count(),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--cycles", type=int, default=4)
    lat.add_argument("--sensitivity", default="standard")
    lat.set_defaults(run=latency)
    cap = sub.add_parser("capacity")
    cap.add_argument("--counts", default="1,2,4")
    cap.add_argument("--seconds", type=float, default=30.0)
    cap.add_argument("--sensitivity", default="standard")
    cap.set_defaults(run=capacity)
    args = parser.parse_args(argv)
    result = args.run(args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
