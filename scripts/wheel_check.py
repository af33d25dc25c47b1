"""Build the wheel, install it into a fresh virtual environment outside the repository,
and check that the installed product works there: ``proctorai --help``, every benchmark
reachable, ``proctorai up`` serving the pages, the livekit-client bundle and the API docs,
the demo's media found, and no module of the repository imported.

    uv run python scripts/wheel_check.py        (``make wheel-check``)

The install uses the dependency overrides of ``[tool.uv]`` in pyproject.toml (dlib comes
prebuilt from dlib-bin, resemblyzer only for its weights): they are read from there, so
there is one list. ``npm ci`` must have run (the wheel carries the pages' npm files).
Everything runs on loopback and stops by itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

from proctorai.private_servers.ports import free_tcp_port_block

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("/app", "/assets/vendor/livekit-client.js", "/docs", "/docs/swagger-ui-bundle.js")


def run(*argv: str | Path, **kwargs: object) -> str:
    result = subprocess.run(
        [str(a) for a in argv], check=True, capture_output=True, text=True, **kwargs
    )
    return result.stdout


def build(out: Path) -> Path:
    run("uv", "build", "--wheel", "-o", out, cwd=ROOT)
    (wheel,) = out.glob("proctorai-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"][
        "override-dependencies"
    ]
    listed = venv.parent / "overrides.txt"
    listed.write_text("\n".join(overrides) + "\n")
    run("uv", "venv", "-q", "-p", "3.11", venv)
    python = venv / "bin" / "python"
    run("uv", "pip", "install", "-q", "--python", python, "--override", listed, wheel)
    return python


def get(url: str) -> tuple[int, int]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, len(response.read())


def check_up(venv: Path, workdir: Path, timeout: float = 120) -> None:
    """``proctorai up`` from a folder that is not the repository, on free ports; Ctrl-C."""
    port = free_tcp_port_block(1)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "DATABASE_"))},
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LIVEKIT_URL": f"ws://127.0.0.1:{free_tcp_port_block(3)}",
        "AGENT_HTTP_PORT": str(free_tcp_port_block(1)),
        "DATA_DIR": "data",
        "VIRTUAL_ENV": str(venv),
    }
    log = (workdir / "up.log").open("w")
    up = subprocess.Popen(
        [str(venv / "bin" / "proctorai"), "up"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        while "ProctorAI is running" not in (workdir / "up.log").read_text():
            if up.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"proctorai up did not start:\n{(workdir / 'up.log').read_text()}")
            time.sleep(0.5)
        for page in PAGES:
            status, size = get(f"http://127.0.0.1:{port}{page}")
            print(f"  GET {page}: {status}, {size} bytes")
            if status != 200 or size == 0:
                raise SystemExit(f"{page} answered {status} with {size} bytes")
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            up.kill()
        log.close()


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="proctorai-wheel-"))
    try:
        wheel = build(work / "dist")
        print(f"built {wheel.name} ({wheel.stat().st_size // 1024} KiB)")
        venv = work / "venv"
        python = install(wheel, venv)
        elsewhere = work / "elsewhere"
        elsewhere.mkdir()
        print(run(venv / "bin" / "proctorai", "--help", cwd=elsewhere).splitlines()[0])
        for name in ("faces", "frames", "voices", "degrade", "latency", "capacity", "api"):
            run(venv / "bin" / "proctorai", "bench", name, "--help", cwd=elsewhere)
        print("  every benchmark answers `proctorai bench <name> --help`")
        where = run(
            python,
            "-c",
            "import agent, contracts, control_api, proctoring, proctorai, sys;"
            "from proctorai.resources import MEDIA_DIR, LIVEKIT_CONFIG;"
            "assert (MEDIA_DIR / 'faces' / 'obama.jpg').is_file() and LIVEKIT_CONFIG.is_file();"
            "print(proctorai.__file__)",
            cwd=elsewhere,
        ).strip()
        if str(ROOT) in where:
            raise SystemExit(f"the installed package came from the repository: {where}")
        print(f"  installed at {Path(where).parent}, demo media and livekit.yaml found")
        check_up(venv, elsewhere)
        print("wheel check passed")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
