"""The ``proctorai`` command: run the stack on this machine, or the demo.

``proctorai up``   starts livekit-server, the control API and the agent worker,
                   waits until each is healthy, prints the URLs and streams logs;
                   Ctrl-C stops them all.
``proctorai demo`` the whole scripted demo: starts the stack when it is not already
                   running, interviews a simulated candidate who is at times replaced,
                   joined, absent or spoken for, and checks what the proctor received
                   (``proctorai/demo/``); exit code 0 when every scripted anomaly was
                   detected and nothing else, 2 on a bad input.
``proctorai bench <name>`` a benchmark (faces, frames, voices, degrade, latency, capacity,
                   api), printing its figures; ``--json`` for one JSON object.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from contracts.dev_secrets import DEV_SECRETS_FILE, generated_value
from control_api.server import api_bind
from control_api.settings import Settings, get_settings
from proctorai.livekit_config import livekit_keys_arg, render_livekit_config, write_livekit_config
from proctorai.stack import ServiceSpec, Stack, StackError, find_livekit_server


def _follow_livekit_url(config: dict[str, Any], livekit_url: str) -> None:
    """Serve LiveKit on the port LIVEKIT_URL names, moving the RTC ports along with it.

    ``livekit.yaml`` uses 7880 (HTTP/WebSocket), 7881 (RTC over TCP) and 7882 (UDP); a
    LIVEKIT_URL on another port shifts all three by the same offset, so two stacks (or a
    stack and the test suite) can run side by side.
    """
    port = urlsplit(livekit_url).port
    if port is None or port == config["port"]:
        return
    offset = port - int(config["port"])
    config["port"] = port
    rtc = config.setdefault("rtc", {})
    for key in ("tcp_port", "udp_port"):
        if key in rtc:
            rtc[key] = int(rtc[key]) + offset


def build_services(settings: Settings) -> list[ServiceSpec]:
    """The stack's processes, in start order, each with its health check."""
    api_host, api_port = api_bind(settings)
    api_url = f"http://{api_host}:{api_port}"
    config = render_livekit_config(
        settings.livekit_api_key, webhook_urls=[f"{api_url}/livekit/webhook"]
    )
    _follow_livekit_url(config, settings.livekit_url)
    config_path = write_livekit_config(config, settings.data_dir / "livekit.generated.yaml")
    livekit_http = f"http://127.0.0.1:{config['port']}"
    keys = livekit_keys_arg(settings.livekit_api_key, settings.secret("livekit_api_secret"))
    services = [
        ServiceSpec(
            name="livekit",
            argv=[find_livekit_server(), "--config", str(config_path)],
            env={"LIVEKIT_KEYS": keys},
            health_url=livekit_http,
        ),
        ServiceSpec(
            name="api",
            # uvicorn with control_api.server.uvicorn_options (no proxy headers: the app
            # trusts X-Forwarded-For from TRUSTED_PROXIES only).
            argv=[sys.executable, "-m", "control_api.server"],
            health_url=f"{api_url}/healthz",
        ),
    ]
    if importlib.util.find_spec("agent.worker") is not None:
        services.append(
            ServiceSpec(
                name="agent",
                argv=[sys.executable, "-m", "agent.worker", "start"],
                env={"LIVEKIT_URL": settings.livekit_url},
                health_url=f"http://127.0.0.1:{settings.agent_http_port}/",
                start_timeout=120.0,
            )
        )
    return services


def _install_stop_handler(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def cmd_up(args: argparse.Namespace) -> int:
    settings = get_settings()
    stop = threading.Event()
    _install_stop_handler(stop)
    stack = Stack()
    try:
        for spec in build_services(settings):
            stack.start(spec)
            if stop.is_set():
                return 130
        print(_banner(settings), flush=True)
        if args.on_ready is not None:
            args.on_ready(settings)
        return stack.wait(stop)
    except StackError as exc:
        print(f"proctorai: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


def _banner(settings: Settings) -> str:
    """What the operator needs to start: the URLs and, in development only (a generated
    key, never a configured one), the recruiter key the dashboard asks for."""
    lines = [
        "",
        "ProctorAI is running. Ctrl-C stops everything.",
        f"  dashboard     {settings.public_url}/"
        + (f"   (API docs: {settings.public_url}/docs)" if settings.api_docs else ""),
        f"  livekit       {settings.livekit_url}",
    ]
    key = generated_value(settings, "recruiter_api_key")
    if key is not None:
        where = settings.data_dir / DEV_SECRETS_FILE
        lines += [
            f"  recruiter key {key}",
            f"                (development: generated into {where}; set RECRUITER_API_KEY",
            "                in production)",
        ]
    return "\n".join([*lines, ""])


def cmd_demo(args: argparse.Namespace) -> int:
    from proctorai.demo.run import DemoConfig, main

    options = DemoConfig(
        face=args.face,
        impostor_face=args.impostor_face,
        second_face=args.second_face,
        voice=args.voice,
        impostor_voice=args.impostor_voice,
        json=args.json,
    )
    return main(options)


def _add_demo_options(demo: argparse.ArgumentParser) -> None:
    media = "the shipped demo media"
    demo.add_argument(
        "--face",
        type=Path,
        metavar="PATH",
        help=f"the candidate: an image or a folder of images of one person "
        f"(default: {media}/faces/obama*.jpg)",
    )
    demo.add_argument(
        "--impostor-face",
        type=Path,
        metavar="PATH",
        help=f"who replaces the candidate on camera (default: {media}/faces/biden.jpg)",
    )
    demo.add_argument(
        "--second-face",
        type=Path,
        metavar="PATH",
        help=f"who appears beside the candidate (default: {media}/faces/biden.jpg)",
    )
    demo.add_argument(
        "--voice",
        type=Path,
        metavar="FILE",
        help=f"the candidate's speech, WAV or FLAC, any rate; the first 15 s are the "
        f"baseline reading (default: {media}/voices/1688-*.flac)",
    )
    demo.add_argument(
        "--impostor-voice",
        type=Path,
        metavar="FILE",
        help=f"another person's speech, WAV or FLAC (default: {media}/voices/2414-*.flac)",
    )
    demo.add_argument(
        "--json",
        action="store_true",
        help="print the result as one JSON object on the last line of stdout",
    )


def cmd_bench(args: argparse.Namespace) -> int:
    from proctorai.bench import runner

    return runner(args.benchmark)(list(args.options))


def _add_bench(sub: Any) -> None:
    from proctorai.bench import BENCHMARKS

    names = "\n".join(f"  {name:9} {about}" for name, (about, _) in BENCHMARKS.items())
    bench = sub.add_parser(
        "bench",
        help="run a benchmark and print its figures (`proctorai bench <name> --help`)",
        description=f"benchmarks:\n{names}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("benchmark", choices=list(BENCHMARKS), metavar="name")
    bench.add_argument("options", nargs=argparse.REMAINDER, help="the benchmark's own options")
    bench.set_defaults(run=cmd_bench, on_ready=None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="proctorai", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run livekit-server, the control API and the agent worker")
    up.set_defaults(run=cmd_up, on_ready=None)
    demo = sub.add_parser(
        "demo", help="run a scripted interview of a simulated candidate and check the proctoring"
    )
    _add_demo_options(demo)
    demo.set_defaults(run=cmd_demo, on_ready=None)
    _add_bench(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
