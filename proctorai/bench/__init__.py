"""Every benchmark behind one command: ``proctorai bench <name> [options] [--json]``.

The engine's own (faces, frames, voices, and the degraded-pairs generator) live in the
domain core, :mod:`proctoring.bench`, since they need nothing but the engines; the live
ones (latency, capacity: a real livekit-server, the API and a worker) in
:mod:`proctorai.bench.agent`; the control API's throughput in :mod:`proctorai.bench.api`.
Each prints its figures, and with ``--json`` one JSON object.
"""

from __future__ import annotations

from collections.abc import Callable

BENCHMARKS: dict[str, tuple[str, str]] = {
    "faces": ("accuracy of the face check on pairs of photos", "proctoring.bench.__main__"),
    "frames": ("frames per second per core of the face pipeline", "proctoring.bench.__main__"),
    "voices": ("equal error rate of the voice check", "proctoring.bench.__main__"),
    "degrade": ("make webcam-like degraded face pairs for `faces`", "proctoring.bench.degrade"),
    "faces-cv": (
        "face thresholds chosen on other people (leave-people-out), per condition",
        "proctoring.bench.__main__",
    ),
    "face-sequences": (
        "false face anomalies per hour and impostor latency, replayed offline",
        "proctorai.bench.face_sequences",
    ),
    "voice-sequences": (
        "false voice anomalies per hour and impostor latency, replayed offline",
        "proctorai.bench.voice_sequences",
    ),
    "latency": ("impostor on camera to the proctor's sidebar, live", "proctorai.bench.agent"),
    "capacity": ("CPU per proctored candidate, live", "proctorai.bench.agent"),
    "api": ("control API throughput (SQLite and PostgreSQL)", "proctorai.bench.api.__main__"),
}
_NAMED_FIRST = {"proctoring.bench.__main__", "proctorai.bench.agent"}
"""Modules whose own command line takes the benchmark's name first."""


def runner(name: str) -> Callable[[list[str]], int]:
    """The ``main(argv)`` of benchmark ``name`` (imported only when it runs)."""
    import importlib

    module_name = BENCHMARKS[name][1]
    main: Callable[[list[str] | None], int] = importlib.import_module(module_name).main

    def run(argv: list[str]) -> int:
        return main([name, *argv] if module_name in _NAMED_FIRST else argv)

    return run
