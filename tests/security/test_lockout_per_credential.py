"""The failed-authentication lockout is per credential kind (issue 11, item 3).

Wrong recruiter keys lock a client out of the recruiter endpoints only, wrong service
tokens out of the agent endpoints only, bad link tokens out of the link endpoints only;
the LiveKit webhook (signature-checked) and the signed media URLs are never locked out
by address, so a stranger guessing keys cannot stop the agent, the candidates or
LiveKit (which, behind a proxy, share the stranger's address).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from google.protobuf.json_format import MessageToJson
from livekit import api as lkapi

from tests.api.conftest import Api
from tests.security.credentials import Answer, assert_refusal, token_of, webhook_authorization
from tests.security.route_auth import AuthKind
from tests.security.test_route_auth import ROUTES

WRONG = {"Authorization": "Bearer guessed-key"}


def _assert_locked_out(response: Answer) -> None:
    detail = assert_refusal(response, 429)
    assert "too many requests: wait" in detail
    assert int(response.headers["retry-after"]) >= 1


def _signed_webhook(api: Api, room: str) -> tuple[str, dict[str, str]]:
    body = MessageToJson(
        lkapi.WebhookEvent(
            event="room_started",
            id=f"EV_lockout_{time.time_ns()}",
            room=lkapi.Room(name=room, sid="RM_lockout"),
            created_at=int(time.time()),
        )
    )
    key, secret = api.settings.livekit_api_key, api.settings.secret("livekit_api_secret")
    headers = {
        "Authorization": webhook_authorization(body, key, secret),
        "Content-Type": "application/webhook+json",
    }
    return body, headers


def _media(api: Api, interview_id: str) -> tuple[str, dict[str, str]]:
    """The path and query of the signed URL of the interview's reference photo."""
    detail = api.client.get(f"/interviews/{interview_id}", headers=api.recruiter).json()
    [photo] = detail["files"]
    parts = urlsplit(photo["url"])
    query = dict(pair.split("=", 1) for pair in parts.query.split("&"))
    return parts.path, query


def _others_get_through(api: Api, interview: dict[str, Any]) -> None:
    """The agent, the proctor's link, LiveKit's webhook and a signed media URL answer."""
    agent = api.client.get(f"/agent/interviews/{interview['id']}/context", headers=api.service)
    assert agent.status_code == 200, agent.text
    proctor = token_of(interview["proctor_link"])
    session = api.client.post(f"/links/{proctor}/session")
    assert session.status_code == 200, session.text
    body, headers = _signed_webhook(api, interview["room"])
    webhook = api.client.post("/livekit/webhook", content=body, headers=headers)
    assert webhook.status_code == 200, webhook.text
    assert webhook.json()["applied"] is True


def test_bad_recruiter_keys_lock_out_the_recruiter_endpoints_only(api: Api) -> None:
    """With the default limit (20 a minute): the 21st try is refused, even with the
    right key, on every recruiter endpoint; nothing else is."""
    interview = api.create_ok()  # with a reference photo: a stored file, a media URL
    path, query = _media(api, interview["id"])
    for _ in range(api.settings.rate_limit_failed_auth_per_minute):
        assert api.client.get("/interviews", headers=WRONG).status_code == 401
    _assert_locked_out(api.client.get("/interviews", headers=api.recruiter))
    _assert_locked_out(api.client.get(f"/interviews/{interview['id']}", headers=api.recruiter))
    _others_get_through(api, interview)
    media = api.client.get(path, params=query)
    assert media.status_code == 200 and media.headers["content-type"] == "image/jpeg"


def test_bad_service_tokens_lock_out_the_agent_endpoints_only(
    api_factory: Callable[..., Api],
) -> None:
    api = api_factory(rate_limit_failed_auth_per_minute=3)
    interview = api.create_ok(reference_photo=None)
    context = f"/agent/interviews/{interview['id']}/context"
    for _ in range(3):
        assert api.client.get(context, headers=WRONG).status_code == 401
    _assert_locked_out(api.client.get(context, headers=api.service))
    _assert_locked_out(
        api.client.post(
            f"/agent/interviews/{interview['id']}/lifecycle",
            json={"status": "in_progress"},
            headers=api.service,
        )
    )
    assert api.client.get("/interviews", headers=api.recruiter).status_code == 200
    proctor = token_of(interview["proctor_link"])
    assert api.client.post(f"/links/{proctor}/session").status_code == 200


def test_bad_link_tokens_lock_out_the_link_endpoints_only(
    api_factory: Callable[..., Api],
) -> None:
    api = api_factory(
        rate_limit_links_per_minute=0,
        rate_limit_link_uses_per_minute=0,
        rate_limit_failed_auth_per_minute=3,
    )
    interview = api.create_ok(reference_photo=None)
    for guess in ("guess-1", "guess-2", "guess-3"):
        assert api.client.post(f"/links/{guess}/session").status_code == 401
    proctor = token_of(interview["proctor_link"])
    _assert_locked_out(api.client.post(f"/links/{proctor}/session"))
    _assert_locked_out(api.client.get(f"/links/{proctor}/events"))
    assert api.client.get("/interviews", headers=api.recruiter).status_code == 200
    agent = api.client.get(f"/agent/interviews/{interview['id']}/context", headers=api.service)
    assert agent.status_code == 200


def test_the_webhook_and_media_urls_are_never_locked_out(
    api_factory: Callable[..., Api],
) -> None:
    """Forged webhooks and bad media signatures are refused every time, but never
    turn into a lockout of LiveKit or of the report's images."""
    api = api_factory(rate_limit_failed_auth_per_minute=3)
    interview = api.create_ok()
    path, query = _media(api, interview["id"])
    body, headers = _signed_webhook(api, interview["room"])
    for _ in range(6):
        forged = api.client.post(
            "/livekit/webhook",
            content=body,
            headers={**headers, "Authorization": "forged-signature"},
        )
        assert "webhook not verified" in assert_refusal(forged, 401)
        bad = api.client.get(path, params={**query, "signature": "0" * 64})
        assert "media link is invalid" in assert_refusal(bad, 403)
    for _ in range(3):  # and the recruiter lockout of this address does not spread
        assert api.client.get("/interviews", headers=WRONG).status_code == 401
    _assert_locked_out(api.client.get("/interviews", headers=api.recruiter))
    signed = api.client.post("/livekit/webhook", content=body, headers=headers)
    assert signed.status_code == 200, signed.text
    assert api.client.get(path, params=query).status_code == 200


def test_the_lockout_kind_of_each_path_agrees_with_the_route_table() -> None:
    """The middleware tells a path's credential by its prefix (it runs before routing);
    the route table, read from the dependencies, must agree for every route."""
    from control_api.ratelimit import CredentialKind, credential_kind

    expected = {
        AuthKind.RECRUITER: CredentialKind.RECRUITER,
        AuthKind.SERVICE: CredentialKind.SERVICE,
        AuthKind.LINK: CredentialKind.LINK,
        AuthKind.WEBHOOK: None,
        AuthKind.SIGNED_MEDIA: None,
        AuthKind.PUBLIC: None,
    }
    for route in ROUTES:
        path = route.url(dict.fromkeys(route.path_params, "x"))
        assert credential_kind(path) == expected[route.kind], route.label
