"""Render the livekit-server configuration from the repository's ``livekit.yaml``.

The committed file holds ports, room defaults and the webhook URL but no keys: keys
come from settings at start-up, and the webhook's ``api_key`` must name one of them,
so both the CLI and the test fixtures render a private copy with the key filled in
(and, for tests, other ports so they never clash with a running stack).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from proctorai.resources import LIVEKIT_CONFIG

DEFAULT_CONFIG = LIVEKIT_CONFIG


def render_livekit_config(
    api_key: str,
    *,
    base: Path = DEFAULT_CONFIG,
    port: int | None = None,
    rtc_tcp_port: int | None = None,
    rtc_udp_port: int | None = None,
    webhook_urls: list[str] | None = None,
) -> dict[str, Any]:
    """Return the config of ``base`` with the webhook key set and optional overrides."""
    config: dict[str, Any] = yaml.safe_load(base.read_text()) or {}
    if port is not None:
        config["port"] = port
    rtc = config.setdefault("rtc", {})
    if rtc_tcp_port is not None:
        rtc["tcp_port"] = rtc_tcp_port
    if rtc_udp_port is not None:
        rtc["udp_port"] = rtc_udp_port
    webhook = config.setdefault("webhook", {})
    webhook["api_key"] = api_key
    if webhook_urls is not None:
        webhook["urls"] = webhook_urls
    return config


def write_livekit_config(config: dict[str, Any], path: Path) -> Path:
    """Write a rendered config where livekit-server can read it (``--config``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def livekit_keys_arg(api_key: str, api_secret: str) -> str:
    """The ``--keys`` value; passed via the LIVEKIT_KEYS env var so it never shows in ps."""
    return f"{api_key}: {api_secret}"
