"""Rate limits: the public link endpoints per client IP and per link, and failed
authentication per IP. Over a limit the answer is 429 with ``Retry-After`` and a JSON
``detail``; other clients, other links and use under the limit are unaffected."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from control_api.ratelimit import link_key
from tests.api.conftest import Api
from tests.security.credentials import Answer, assert_refusal, flip_signature_byte, token_of


def _from(api: Api, address: str) -> TestClient:
    """Another client of the same running app, seen from another IP address."""
    return TestClient(api.client.app, client=(address, 40000), raise_server_exceptions=False)


def _assert_429(response: Answer) -> int:
    detail = assert_refusal(response, 429)
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= 60
    assert f"wait {wait} seconds" in detail
    return wait


def test_link_endpoints_are_limited_per_client_ip(api_factory: Callable[..., Api]) -> None:
    api = api_factory(
        rate_limit_links_per_minute=5,
        rate_limit_link_uses_per_minute=0,
        rate_limit_failed_auth_per_minute=0,
        allow_live_enrollment=True,  # counts link requests exactly: no baseline requests
    )
    body = api.create_ok(reference_photo=None)
    candidate, proctor = token_of(body["candidate_link"]), token_of(body["proctor_link"])
    for _ in range(3):
        assert api.client.post(f"/links/{candidate}/session").status_code == 200
    for _ in range(2):
        assert api.client.get(f"/links/{proctor}/events").status_code == 200
    # The sixth link request from this address, whichever link and route.
    _assert_429(api.client.post(f"/links/{proctor}/session"))
    _assert_429(api.client.post("/links/not-a-link/session"))
    # Another address is not affected, nor are the recruiter endpoints.
    assert _from(api, "198.51.100.7").post(f"/links/{candidate}/session").status_code == 200
    assert api.client.get("/interviews", headers=api.recruiter).status_code == 200


def test_each_link_is_limited_on_its_own(api_factory: Callable[..., Api]) -> None:
    api = api_factory(
        rate_limit_links_per_minute=0,
        rate_limit_link_uses_per_minute=3,
        rate_limit_failed_auth_per_minute=0,
        allow_live_enrollment=True,  # counts link requests exactly: no baseline requests
    )
    body = api.create_ok(reference_photo=None)
    candidate, proctor = token_of(body["candidate_link"]), token_of(body["proctor_link"])
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        assert _from(api, address).post(f"/links/{candidate}/session").status_code == 200
    # From a fresh address too: the limit follows the link, and its tampered copies.
    _assert_429(_from(api, "192.0.2.4").post(f"/links/{candidate}/session"))
    _assert_429(api.client.post(f"/links/{flip_signature_byte(candidate)}/session"))
    assert link_key(f"/links/{flip_signature_byte(candidate)}/session") == link_key(
        f"/links/{candidate}/session"
    )
    # The proctor's link is another link.
    assert api.client.post(f"/links/{proctor}/session").status_code == 200


def test_failed_authentication_blocks_the_address(api_factory: Callable[..., Api]) -> None:
    api = api_factory(
        rate_limit_links_per_minute=0,
        rate_limit_link_uses_per_minute=0,
        rate_limit_failed_auth_per_minute=3,
    )
    body = api.create_ok(reference_photo=None)  # one success counts for nothing
    wrong = {"Authorization": "Bearer guessed-key"}
    for path in ("/interviews", f"/interviews/{body['id']}", f"/interviews/{body['id']}/report"):
        assert api.client.get(path, headers=wrong).status_code == 401
    # Now even the right key is refused from this address, on every recruiter route.
    _assert_429(api.client.get("/interviews", headers=api.recruiter))
    _assert_429(api.client.post(f"/interviews/{body['id']}/links", headers=api.recruiter))
    # The health check and the docs still answer; other addresses are not affected, nor
    # are the other credentials' endpoints (the lockout is per kind of credential:
    # tests/security/test_lockout_per_credential.py).
    assert api.client.get("/healthz").status_code == 200
    assert api.client.get("/openapi.json").status_code == 200
    other = _from(api, "203.0.113.9")
    assert other.get("/interviews", headers=api.recruiter).status_code == 200
    context = api.client.get(f"/agent/interviews/{body['id']}/context", headers=api.service)
    assert context.status_code == 200


def test_ordinary_use_stays_under_the_default_limits(api: Api) -> None:
    """A candidate reconnecting a few times and a proctor reloading the sidebar, with
    a typo in the recruiter key on the way, never meet a limit."""
    body = api.create_ready(reference_photo=None)
    candidate, proctor = token_of(body["candidate_link"]), token_of(body["proctor_link"])
    assert (
        api.client.get("/interviews", headers={"Authorization": "Bearer typo"}).status_code == 401
    )
    for _ in range(10):
        assert api.client.post(f"/links/{candidate}/session").status_code == 200
        assert api.client.get(f"/links/{proctor}/events").status_code == 200
    assert api.client.get("/interviews", headers=api.recruiter).status_code == 200
