"""Which address the rate limits count: the TCP peer, or what a trusted proxy says.

Issue 11, item 3: uvicorn by default believes ``X-Forwarded-For`` from 127.0.0.1, so a
client on the machine (or a local proxy passing the header on) picked a new address
for every request and was never limited. The API is served here by a real uvicorn
configured as ``proctorai up`` configures it, and called from 127.0.0.1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import ValidationError

from control_api import server
from control_api.settings import Settings
from proctorai.cli import build_services
from tests.api.conftest import RECRUITER_KEY
from tests.security.credentials import assert_refusal
from tests.security.launched import launch_settings, launched
from tests.support.livekit_server import TestLiveKitServer

LIMIT = 5
WRONG = "Bearer guessed-key"
RIGHT = f"Bearer {RECRUITER_KEY}"

Serve = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def serve(tmp_path: Path, database_url: str, livekit_server: TestLiveKitServer) -> Iterator[Serve]:
    def start(**overrides: Any) -> AbstractContextManager[str]:
        settings = launch_settings(
            tmp_path / "data",
            database_url,
            livekit_server,
            rate_limit_failed_auth_per_minute=LIMIT,
            **overrides,
        )
        return launched(settings)

    yield start


def _interviews(http: httpx.Client, authorization: str, forwarded_for: str) -> httpx.Response:
    return http.get(
        "/interviews",
        headers={"Authorization": authorization, "X-Forwarded-For": forwarded_for},
    )


def test_a_forged_forwarded_for_does_not_escape_the_limits(serve: Serve) -> None:
    """No proxy is trusted (the default): each request claims another address, and all
    of them count against 127.0.0.1, the peer that really sent them."""
    with serve() as base, httpx.Client(base_url=base, timeout=10) as http:
        for n in range(LIMIT):
            assert _interviews(http, WRONG, f"203.0.113.{n + 1}").status_code == 401
        refused = _interviews(http, RIGHT, "203.0.113.200")
        assert "too many requests" in assert_refusal(refused, 429)
        assert _interviews(http, RIGHT, "198.51.100.1").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(serve: Serve) -> None:
    """TRUSTED_PROXIES=127.0.0.1: the client is the right-most address the proxy did
    not add itself, so a client's own forged entries in front change nothing, and
    other clients behind the same proxy are not locked out with it."""
    with (
        serve(trusted_proxies="127.0.0.1") as base,
        httpx.Client(base_url=base, timeout=10) as http,
    ):
        for n in range(LIMIT):
            forged = f"198.51.100.{n + 1}, 203.0.113.5"  # what the proxy passes on
            assert _interviews(http, WRONG, forged).status_code == 401
        assert _interviews(http, RIGHT, "192.0.2.77, 203.0.113.5").status_code == 429
        assert _interviews(http, RIGHT, "203.0.113.5, 127.0.0.1").status_code == 429
        other = _interviews(http, RIGHT, "203.0.113.6")
        assert other.status_code == 200, other.text


def test_trusted_proxies_accepts_addresses_and_networks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", " 10.0.0.7, 192.168.0.0/16 ,fd00::/8")
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert [str(n) for n in settings.trusted_proxies] == [
        "10.0.0.7/32",
        "192.168.0.0/16",
        "fd00::/8",
    ]
    monkeypatch.setenv("TRUSTED_PROXIES", "")
    assert Settings(_env_file=None, data_dir=tmp_path).trusted_proxies == []  # type: ignore[call-arg]


@pytest.mark.parametrize("value", ["proxy.internal", "10.0.0.0/33", "10.0.0.1/8"])
def test_a_bad_trusted_proxies_entry_says_what_to_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", f"10.0.0.7,{value}")
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    message = str(raised.value)
    assert "TRUSTED_PROXIES" in message and repr(value) in message
    assert "IP address or network" in message


def test_proctorai_up_serves_the_api_with_these_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The options the tests above serve with are the ones `proctorai up` runs: its API
    process is ``python -m control_api.server``, which hands them to ``uvicorn.run``."""
    settings = Settings.model_validate(
        {
            "data_dir": tmp_path,
            "public_url": "http://127.0.0.1:8123",
            "livekit_api_secret": "x" * 40,
        }
    )
    [api] = [spec for spec in build_services(settings) if spec.name == "api"]
    assert list(api.argv) == [sys.executable, "-m", "control_api.server"]
    served: dict[str, Any] = {}
    monkeypatch.setattr(server, "get_settings", lambda: settings)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    server.main()
    assert served == {"app": server.APP, "factory": True, **server.uvicorn_options(settings)}
    assert served["proxy_headers"] is False
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
