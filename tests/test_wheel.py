"""The built wheel works outside the repository (issue 18): installed into a fresh
virtual environment, ``proctorai --help`` and every ``proctorai bench <name>`` answer,
``proctorai up`` serves the pages, the livekit-client bundle and the docs, and the demo's
media and livekit.yaml are found inside the package. ``scripts/wheel_check.py`` does it
(``make wheel-check``); this test runs it and reads its verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# it builds and installs the wheel and starts the whole stack from it, in subprocesses
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_runs_outside_the_repository() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "wheel_check.py")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "every benchmark answers" in out
    assert "demo media and livekit.yaml found" in out
    for page in ("/app", "/assets/vendor/livekit-client.js", "/docs"):
        assert f"GET {page}: 200" in out
    assert out.rstrip().endswith("wheel check passed")
