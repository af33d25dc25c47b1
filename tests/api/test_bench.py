"""The control API benchmark runs clean: a short run with few clients on SQLite.

The API is served in a thread here (the app's imports are already done, so it starts
in a second); ``python -m proctorai.bench.api`` serves it as a uvicorn child process,
which ``make bench`` runs. The session's livekit-server answers the room creations.
"""

from __future__ import annotations

from proctorai.bench.api.__main__ import render
from proctorai.bench.api.run import BenchConfig, run_benchmark
from tests.support.livekit_server import TestLiveKitServer


def test_short_run_has_no_errors_and_stores_each_event_once(
    livekit_server: TestLiveKitServer,
) -> None:
    config = BenchConfig(clients=4, seconds=2.0, databases=("sqlite",), in_process=True)

    result = run_benchmark(config, livekit=livekit_server)

    assert result["ok"] is True, render(result)
    assert result["errors"] == 0
    sqlite = result["results"]["sqlite"]
    for phase in ("interviews", "events"):
        figures = sqlite[phase]
        assert figures["errors"] == 0, figures["error_kinds"]
        assert figures["requests"] > 0
        assert figures["items_per_s"] > 0
        assert figures["p50_ms"] is not None and figures["p50_ms"] <= figures["p99_ms"]
    assert sqlite["stored_exactly_once"] is True
    assert sqlite["stored"]["interviews"] == sqlite["interviews"]["items"] > 0
    assert sqlite["stored"]["events"] == sqlite["expected"]["events"] > 0
    assert sqlite["server_log_errors"] == 0
    assert "stored exactly once: yes" in render(result)
