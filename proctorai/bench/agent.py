"""Benchmarks of the live agent through the real livekit-server and the real control API.

``python -m proctorai.bench.agent latency [--cycles 6] [--sensitivity standard]``
    One simulated candidate; once the agent has enrolled its face, the face switches to
    an impostor ``cycles`` times. For each switch: seconds from the impostor's first
    frame to the hidden proctor receiving the ``face_mismatch`` start, split into
    confirmation (smoothing) and delivery (the engine's time on the confirming frame,
    publishing, the server).

``python -m proctorai.bench.agent capacity [--counts 5,10,15,20] [--seconds 45]``
    N candidates at once on one worker (2 frames per second each, continuous voice
    checks, the offline interviewer speaking to each); after ``seconds`` one impostor
    switch per candidate (staggered over 5 s). Per N: the per-frame lag (sampling a
    frame to acting on its readings) p50/p95 from the jobs' closing log lines, the
    impostor latency p50/p95, frames dropped while the engine was busy, and the CPU
    used by the worker's processes and by the whole machine.

Both start a private livekit-server, the control API (uvicorn, in this process) and the
worker as a separate process (``python -m agent.worker start``; one process per job, as
in production), and print figures and, last, one JSON line. The simulated candidates
run in this process, on the same cores as the worker: on a 2-core machine the figures
are a lower bound on what a worker alone would do. Run them from a repository checkout
(they use ``agent/sim``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from agent.proctor.live import STATS_MESSAGE

IDLE_SECONDS = 6.0


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 3)


class Stack:
    """livekit-server + control API + one worker process, on free ports."""

    def __init__(
        self, workdir: Path, sensitivity: str, max_jobs: int, face_method: str = "tracked"
    ) -> None:
        """Nothing runs until :meth:`start`."""
        from proctorai.private_servers import LiveKitServerProcess, UvicornThread, free_tcp_port

        self.workdir = workdir
        self.sensitivity = sensitivity
        self.max_jobs = max_jobs
        self.face_method = face_method
        self.livekit = LiveKitServerProcess()
        self.api_thread = UvicornThread(None, free_tcp_port())
        self.agent_name = f"proctorai-bench-{secrets.token_hex(3)}"
        self.recruiter_key = secrets.token_urlsafe(24)
        self.service_token = secrets.token_urlsafe(24)
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_port = free_tcp_port()
        self.worker_log = ""

    def start(self) -> None:
        from control_api.app import create_app
        from control_api.settings import Settings
        from proctorai.private_servers import start_worker

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
            # the benchmark's candidates are enrolled from their first seconds on camera
            # (what its published figures measure), without recording a baseline each
            allow_live_enrollment=True,
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
            "AGENT_MAX_JOBS": str(self.max_jobs),
            "FACE_METHOD": self.face_method,
            "HEARTBEAT_INTERVAL": "1",
            "PROCTOR_POLL_INTERVAL": "1",
            "ENROLLMENT_FRAMES": "3",
            "OPENAI_API_KEY": "",
            "LIVEKIT_LOG_LEVEL": "INFO",
            "AGENT_CPU_LIMIT": "",  # admit on job count only: the benchmark loads the machine
            "ANSWER_TIMEOUT": "8",
            "CANDIDATE_GONE_GRACE": "2",  # jobs end (and log their stats) soon after
        }
        started = start_worker(env, self.workdir / "worker.log", self.worker_port)
        self.worker = started.process
        # a dispatch created before the worker registers is dropped by livekit-server
        # ("no worker is available"): that was why early runs never received a job
        started.wait_ready(timeout=90)

    def wait_for_stats(self, jobs: int, timeout: float) -> None:
        """Wait until ``jobs`` jobs have logged their closing frame statistics."""
        log = self.workdir / "worker.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(frame_stats(log.read_text(errors="replace"))) >= jobs:
                return
            time.sleep(1.0)

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
                self.worker_log = log.read_text(errors="replace")
                Path(tempfile.gettempdir(), "proctorai-bench-worker.log").write_text(
                    self.worker_log
                )
        self.api_thread.stop()
        self.livekit.stop()

    async def interview(self, http: httpx.AsyncClient) -> dict[str, Any]:
        from proctorai.demo.form import interview_form

        data, files = interview_form(
            title="Benchmark",
            candidate_name="Bench Candidate",
            candidate_email="bench@example.com",
            duration_minutes=30,
            question_count=10,
            sensitivity=self.sensitivity,
        )
        response = await http.post(
            "/interviews",
            headers={"Authorization": f"Bearer {self.recruiter_key}"},
            data=data,
            files=files,
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


async def _session(http: httpx.AsyncClient, link: str) -> dict[str, Any]:
    response = await http.post(f"/links/{link.rsplit('/', 1)[1]}/session")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


class CpuSampler:
    """CPU used by the worker's process tree and by the machine, sampled every second."""

    def __init__(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._known: dict[int, psutil.Process] = {}
        self.worker: list[float] = []  # share of all cores, 0..1
        self.machine: list[float] = []
        self.times: list[float] = []  # monotonic time of each sample

    def _tree(self) -> list[psutil.Process]:
        try:
            procs = [self._root, *self._root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        for proc in procs:
            if proc.pid not in self._known:
                self._known[proc.pid] = proc
                proc.cpu_percent(None)  # first call primes the counter
        return [self._known[p.pid] for p in procs]

    def _run(self) -> None:
        cores = psutil.cpu_count() or 1
        psutil.cpu_percent(None)
        self._tree()
        while not self._stop.wait(1.0):
            total = 0.0
            for proc in self._tree():
                try:
                    total += proc.cpu_percent(None)
                except psutil.NoSuchProcess:
                    continue
            self.worker.append(total / 100.0 / cores)
            self.machine.append(psutil.cpu_percent(None) / 100.0)
            self.times.append(time.monotonic())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def summary(self) -> dict[str, float | None]:
        def mean(values: list[float]) -> float | None:
            return round(statistics.fmean(values), 3) if values else None

        return {
            "worker_cpu_mean": mean(self.worker),
            "worker_cpu_p95": _percentile(self.worker, 0.95),
            "machine_cpu_mean": mean(self.machine),
        }

    def window(self, start: float, end: float) -> tuple[float | None, float | None]:
        """Mean worker and machine shares over samples taken in ``[start, end]``."""
        picked = [i for i, t in enumerate(self.times) if start <= t <= end]
        if not picked:
            return None, None
        return (
            round(statistics.fmean(self.worker[i] for i in picked), 3),
            round(statistics.fmean(self.machine[i] for i in picked), 3),
        )


def thread_cpu(root_pid: int) -> dict[str, float]:
    """CPU seconds so far of every thread of a process tree, summed by thread name.

    Native threads are named by the WebRTC stack (``VideoDecoderQue``,
    ``AudioEncoderQue``, ``tokio-rt-worker``...); Python's (the event loop and the
    engine pool) all show as ``python``.
    """
    totals: dict[str, float] = {}
    try:
        procs = [psutil.Process(root_pid), *psutil.Process(root_pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return totals
    for proc in procs:
        try:
            threads = proc.threads()
        except psutil.NoSuchProcess:
            continue
        for thread in threads:
            try:
                name = Path(f"/proc/{proc.pid}/task/{thread.id}/comm").read_text().strip()
            except OSError:
                continue
            totals[name] = totals.get(name, 0.0) + thread.user_time + thread.system_time
    return totals


def frame_stats(worker_log: str) -> list[dict[str, Any]]:
    """The jobs' closing "proctor frame stats" lines (JSON log records) from the log."""
    found = []
    for line in worker_log.splitlines():
        if STATS_MESSAGE not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("message") == STATS_MESSAGE:
            found.append(record)
    return found


def _frames_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    def values(key: str) -> list[float]:
        return [float(r[key]) for r in records if r.get(key) is not None]

    analyzed = sum(int(r.get("frames_analyzed", 0)) for r in records)
    dropped = sum(int(r.get("frames_dropped_busy", 0)) for r in records)
    watched = sum(values("watched_seconds"))
    return {
        # CPU of the engines per watched candidate-second (all jobs, whole interviews)
        "face_engine_cores_per_candidate": round(sum(values("face_cpu_seconds")) / watched, 4)
        if watched
        else None,
        "voice_engine_cores_per_candidate": round(sum(values("voice_cpu_seconds")) / watched, 4)
        if watched
        else None,
        "jobs_reporting": len(records),
        "frame_lag_p50": _percentile(values("lag_p50"), 0.5),
        "frame_lag_p95": _percentile(values("lag_p95"), 0.95),
        "engine_p50": _percentile(values("engine_p50"), 0.5),
        "frames_analyzed": analyzed,
        "dropped_busy_share": round(dropped / (analyzed + dropped), 3)
        if analyzed + dropped
        else None,
    }


async def _run(
    stack: Stack,
    count: int,
    cues: list[tuple[float, str]],
    *,
    fps: float = 10.0,
    stagger: float = 0.0,
    marks: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Run ``count`` candidates with the same face cues (candidate i shifted by
    ``i * stagger`` seconds, modulo 5 s); one proctor each. The cues start once the
    agent has enrolled each candidate's face."""
    from proctorai.sim.candidate import CandidateScript, FaceCue, SimulatedCandidate
    from proctorai.sim.media import (
        CANDIDATE_SPEAKER,
        face_path,
        frame_from_image,
        load_speech_48k,
        speaker_files,
    )
    from proctorai.sim.proctor import SimulatedProctor

    frames = {
        "genuine": frame_from_image(face_path("obama.jpg")),
        "impostor": frame_from_image(face_path("biden.jpg")),
    }
    speech = load_speech_48k(speaker_files(CANDIDATE_SPEAKER), gap_seconds=0.3)
    pairs = []
    async with httpx.AsyncClient(base_url=stack.api_thread.url, timeout=60) as http:
        for i in range(count):
            interview = await stack.interview(http)
            proctor_session = await _session(http, interview["proctor_link"])
            proctor = SimulatedProctor(
                proctor_session["livekit_url"], proctor_session["livekit_token"]
            )
            await proctor.start()
            candidate_session = await _session(http, interview["candidate_link"])
            shift = (i * stagger) % 5.0 if stagger else 0.0
            script = CandidateScript(
                frames=frames,
                faces=[FaceCue(at + (shift if at else 0.0), name) for at, name in cues],
                speech=speech,
                answer_seconds=6.0,
                fps=fps,
            )
            candidate = SimulatedCandidate(
                candidate_session["livekit_url"], candidate_session["livekit_token"], script
            )
            pairs.append((candidate, proctor))
        await asyncio.gather(*(c.start(begin_script=False) for c, _ in pairs))

        enrolled: dict[int, bool] = {}

        async def begin_when_enrolled(candidate: SimulatedCandidate, proctor: Any) -> None:
            # a candidate never enrolled is not skipped: its switch counts as undetected
            enrolled[id(proctor)] = False
            with contextlib.suppress(TimeoutError):
                await proctor.wait_for_signal("face_mismatch", "clean", timeout=90)
                enrolled[id(proctor)] = True
            candidate.begin_script()

        await asyncio.gather(*(begin_when_enrolled(c, p) for c, p in pairs))
        remaining = cues[-1][0] + 5.0 + 12
        if marks is not None and len(cues) > 1 and cues[1][0] > 6.0 and stack.worker:
            # the steady state: everyone enrolled and genuine, until the first switch
            await asyncio.sleep(3.0)
            marks["steady_from"] = time.monotonic()
            before = thread_cpu(stack.worker.pid)
            await asyncio.sleep(cues[1][0] - 3.0)
            marks["steady_to"] = time.monotonic()
            after = thread_cpu(stack.worker.pid)
            span = marks["steady_to"] - marks["steady_from"]
            marks.update(
                {f"threads:{name}": (after[name] - before.get(name, 0.0)) / span for name in after}
            )
            remaining -= cues[1][0]
        await asyncio.sleep(remaining)
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
                    "enrolled": enrolled[id(proctor)],
                }
            )
        for candidate, proctor in pairs:
            await candidate.stop()
            await proctor.stop()
    # the candidates have left: each job ends after its grace period and logs its stats
    await asyncio.to_thread(stack.wait_for_stats, count, 30.0 + 0.1 * 10 * count)
    return results


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = [lat for r in results for lat in r["latencies"]]
    totals = [lat["total"] for lat in latencies]
    return {
        "switches": sum(r["switches"] for r in results),
        "detected": sum(r["detected"] for r in results),
        "latency_p50": _percentile(totals, 0.5),
        "latency_p95": _percentile(totals, 0.95),
        "latency_max": _percentile(totals, 1.0),
        "confirmation_p50": _percentile([lat["confirmation"] for lat in latencies], 0.5),
        "confirmation_p95": _percentile([lat["confirmation"] for lat in latencies], 0.95),
        "delivery_p50": _percentile([lat["delivery"] for lat in latencies], 0.5),
        "delivery_p95": _percentile([lat["delivery"] for lat in latencies], 0.95),
        "false_anomalies": sum(len(r["false_anomalies"]) for r in results),
        "false_types": sorted({t for r in results for t in r["false_anomalies"]}),
        "undetected_enrolled": sum(r["switches"] - r["detected"] for r in results if r["enrolled"]),
        "candidate_received": sum(r["candidate_received"] for r in results),
    }


def latency(args: argparse.Namespace) -> dict[str, Any]:
    cues: list[tuple[float, str]] = [(0, "genuine")]
    at = 4.0
    for _ in range(args.cycles):
        cues += [(at, "impostor"), (at + 6, "genuine")]
        at += 14
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
        f"p95 {summary['latency_p95']} s, max {summary['latency_max']} s"
    )
    print(
        f"  of which smoothing (switch -> confirmed): p50 {summary['confirmation_p50']} s, "
        f"p95 {summary['confirmation_p95']} s"
    )
    print(
        f"  of which delivery (confirmed -> received): p50 {summary['delivery_p50']} s, "
        f"p95 {summary['delivery_p95']} s"
    )
    print(f"false anomalies: {summary['false_anomalies']}")
    return summary


def capacity(args: argparse.Namespace) -> dict[str, Any]:
    counts = [int(c) for c in args.counts.split(",")]
    cores = psutil.cpu_count() or 1
    runs = []
    for count in counts:
        cues = [(0.0, "genuine"), (args.seconds, "impostor"), (args.seconds + 10, "genuine")]
        marks: dict[str, float] = {}
        with tempfile.TemporaryDirectory(prefix="proctorai-bench-") as tmp:
            stack = Stack(Path(tmp), args.sensitivity, max_jobs=count, face_method=args.face_method)
            stack.start()
            assert stack.worker is not None
            sampler = CpuSampler(stack.worker.pid)
            sampler.start()
            try:
                time.sleep(IDLE_SECONDS)  # the worker and its warm processes, no job yet
                idle = time.monotonic()
                started = time.monotonic()
                results = asyncio.run(
                    _run(stack, count, cues, fps=args.fps, stagger=1.0, marks=marks)
                )
                elapsed = time.monotonic() - started
            finally:
                sampler.stop()
                stack.stop()
        idle_worker, _ = sampler.window(idle - IDLE_SECONDS + 1.0, idle)
        steady_worker, steady_machine = sampler.window(
            marks.get("steady_from", 0.0), marks.get("steady_to", 0.0)
        )
        per_candidate = (
            round((steady_worker - (idle_worker or 0.0)) * cores / count, 3)
            if steady_worker is not None
            else None
        )
        summary = {
            "candidates": count,
            "face_method": args.face_method,
            "seconds": round(elapsed, 1),
            **_summary(results),
            **_frames_summary(frame_stats(stack.worker_log)),
            **sampler.summary(),
            "worker_cores_idle": None if idle_worker is None else round(idle_worker * cores, 3),
            "worker_cores_steady": None
            if steady_worker is None
            else round(steady_worker * cores, 3),
            "machine_cpu_steady": steady_machine,
            "steady_threads_cores_per_candidate": {
                key.removeprefix("threads:"): round(value / count, 4)
                for key, value in sorted(marks.items(), key=lambda kv: -kv[1])
                if key.startswith("threads:") and value / count >= 0.001
            },
            "cores_per_candidate": per_candidate,
            "candidates_per_2_cores_at_80pct": None
            if not per_candidate
            else round((2 * 0.8 - (idle_worker or 0.0) * cores) / per_candidate, 1),
        }
        runs.append(summary)
        threads_per_candidate: dict[str, float] = summary["steady_threads_cores_per_candidate"]
        print(
            f"{count:>3} candidates ({summary['jobs_reporting']} jobs ran, "
            f"{args.face_method}): detected {summary['detected']}/{summary['switches']}, "
            f"latency p50 {summary['latency_p50']} s p95 {summary['latency_p95']} s; "
            f"frame lag p50 {summary['frame_lag_p50']} s p95 {summary['frame_lag_p95']} s "
            f"(engine p50 {summary['engine_p50']} s, dropped busy "
            f"{summary['dropped_busy_share']}); worker {summary['worker_cores_steady']} "
            f"cores in steady state ({summary['worker_cores_idle']} idle), "
            f"{summary['cores_per_candidate']} per candidate, so "
            f"{summary['candidates_per_2_cores_at_80pct']} per 2 dedicated cores at 80%; "
            f"machine {summary['machine_cpu_steady']}; "
            f"false {summary['false_anomalies']} {summary['false_types']}",
            flush=True,
        )
        print(
            f"    engines per candidate: face {summary['face_engine_cores_per_candidate']} "
            f"cores, voice {summary['voice_engine_cores_per_candidate']} cores",
            flush=True,
        )
        print(
            "    per candidate in steady state, cores by thread: "
            + ", ".join(f"{k} {v}" for k, v in threads_per_candidate.items()),
            flush=True,
        )
    return {
        "benchmark": "capacity",
        "sensitivity": args.sensitivity,
        "cores": os.cpu_count(),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="proctorai bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--cycles", type=int, default=6)
    lat.add_argument("--sensitivity", default="standard")
    lat.set_defaults(run=latency)
    cap = sub.add_parser("capacity")
    cap.add_argument("--counts", default="5,10,15,20")
    cap.add_argument("--seconds", type=float, default=45.0)
    cap.add_argument("--fps", type=float, default=10.0, help="camera frames sent per candidate")
    cap.add_argument("--sensitivity", default="standard")
    cap.add_argument(
        "--face-method",
        choices=["tracked", "original"],
        default="tracked",
        help="original: the original per-frame face check (from the seeds), for comparison",
    )
    cap.set_defaults(run=capacity)
    args = parser.parse_args(argv)
    result = args.run(args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
