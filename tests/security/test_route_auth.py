"""Authorisation of every route, generated from the app's route table.

Each route is classified by the credential its dependency tree asks for (see
``route_auth``); every protected route is then called with no credential, a wrong
one, and a valid credential of another kind, and must refuse each with a JSON
``detail`` and no internals, leaving the database and the storage folder as they
were; a valid credential of its own kind must get past the check. A route nobody
classified fails the first test.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from google.protobuf.json_format import MessageToJson
from livekit import api as lkapi

from control_api.app import create_app
from control_api.models import RoomEvent
from control_api.settings import Settings
from control_api.storage import MediaUrlSigner
from tests.api import documents
from tests.api.conftest import LINK_SECRET, RECRUITER_KEY, SERVICE_TOKEN, Api
from tests.security.credentials import (
    TRACE_MARKERS,
    assert_refusal,
    flip_signature_byte,
    resigned,
    token_of,
    webhook_authorization,
)
from tests.security.route_auth import AuthKind, RouteAuth, auth_table, classify_routes


def _catalogue() -> list[RouteAuth]:
    """The routes of an app built with throwaway settings (nothing is started)."""
    folder = Path(tempfile.mkdtemp(prefix="proctorai-routes-"))
    settings = Settings.model_validate(
        {
            "data_dir": folder,
            "database_url": f"sqlite:///{folder / 'routes.db'}",
            "recruiter_api_key": RECRUITER_KEY,
            "service_token": SERVICE_TOKEN,
            "link_secret": LINK_SECRET,
            "livekit_api_secret": "x" * 40,
        }
    )
    app = create_app(settings)
    app.state.engine.dispose()
    return classify_routes(app)


ROUTES = _catalogue()
BEARER_ROUTES = [r for r in ROUTES if r.kind in {AuthKind.RECRUITER, AuthKind.SERVICE}]
LINK_ROUTES = [r for r in ROUTES if r.kind is AuthKind.LINK]
PUBLIC_ROUTES = [r for r in ROUTES if r.kind is AuthKind.PUBLIC]

# Which link may use each link route, and a valid body for it: the refusal of the other
# role comes after the body is validated, so it needs a body the route accepts.
LINK_USE: dict[str, tuple[set[str], dict[str, Any]]] = {
    "/links/{token}": ({"candidate", "proctor"}, {}),
    "/links/{token}/session": ({"candidate", "proctor"}, {}),
    "/links/{token}/baseline/face": (
        {"candidate"},
        {
            "files": [
                ("photos", (f"p{i}.jpg", documents.face_jpeg(), "image/jpeg")) for i in range(3)
            ]
        },
    ),
    "/links/{token}/baseline/voice": (
        {"candidate"},
        {"files": {"audio": ("a.wav", b"RIFF" + bytes(100), "audio/wav")}},
    ),
    "/links/{token}/anomalies/{anomaly_id}/decision": (
        {"proctor"},
        {"json": {"decision": "confirm"}},
    ),
    "/links/{token}/events": ({"proctor"}, {}),
}
OTHER_KIND = {AuthKind.RECRUITER: SERVICE_TOKEN, AuthKind.SERVICE: RECRUITER_KEY}
OWN_KIND = {AuthKind.RECRUITER: RECRUITER_KEY, AuthKind.SERVICE: SERVICE_TOKEN}


def test_every_route_has_a_known_credential() -> None:
    unknown = [f"{r.label} ({r.why})" for r in ROUTES if r.kind is AuthKind.UNKNOWN]
    print("\n" + auth_table(ROUTES))
    assert not unknown, f"routes without a known credential: {unknown}"
    missing = [r.label for r in LINK_ROUTES if r.path not in LINK_USE]
    assert not missing, f"link routes with no entry in LINK_USE: {missing}"
    assert BEARER_ROUTES and LINK_ROUTES and PUBLIC_ROUTES


def test_openapi_security_agrees_with_the_dependencies(api: Api) -> None:
    """Two independent readings of the app (the schema FastAPI documents, and the
    dependency trees) give the same credential for each route."""
    schema = api.client.get("/openapi.json").json()
    scheme = {"RecruiterApiKey": AuthKind.RECRUITER, "ServiceToken": AuthKind.SERVICE}
    for route in ROUTES:
        operation = schema["paths"].get(route.path.replace(":path}", "}"), {})
        operation = operation.get(route.method.lower())
        if operation is None:
            assert route.kind is AuthKind.PUBLIC, route.label  # the docs' own routes
            continue
        documented = {scheme[name] for item in operation.get("security", []) for name in item}
        expected = {route.kind} if route.kind in scheme.values() else set()
        assert documented == expected, route.label


def _bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@pytest.mark.parametrize("route", BEARER_ROUTES, ids=lambda r: r.label)
def test_bearer_routes_refuse_missing_wrong_and_other_credentials(
    api: Api, route: RouteAuth
) -> None:
    interview = api.create_ok(reference_photo=None)
    url = route.url(
        {"interview_id": interview["id"], "file_id": "no-such-file", "anomaly_id": "no-such"}
    )
    before = api.state()
    attempts: list[tuple[dict[str, str], int, str]] = [
        ({}, 401, "missing credentials"),
        (_bearer("not-a-credential"), 401, "this is not the"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "missing credentials"),
        ({"Authorization": "Bearer"}, 401, "missing credentials"),
        (_bearer(OWN_KIND[route.kind] + "x"), 401, "this is not the"),
        (_bearer(OTHER_KIND[route.kind]), 403, "cannot use"),
        (_bearer(LINK_SECRET), 401, "this is not the"),
    ]
    for headers, status, fragment in attempts:
        response = api.client.request(route.method, url, headers=headers)
        assert fragment in assert_refusal(response, status), (route.label, headers)
        assert response.headers["www-authenticate"].startswith("Bearer realm=")
    assert api.state() == before
    allowed = api.client.request(route.method, url, headers=_bearer(OWN_KIND[route.kind]))
    assert allowed.status_code not in {401, 403}, (route.label, allowed.text)


@pytest.mark.parametrize("route", LINK_ROUTES, ids=lambda r: r.label)
def test_link_routes_refuse_bad_links_and_the_other_role(api: Api, route: RouteAuth) -> None:
    interview = api.create_ok(reference_photo=None)
    links = {
        "candidate": token_of(interview["candidate_link"]),
        "proctor": token_of(interview["proctor_link"]),
    }
    roles, body = LINK_USE[route.path]
    good = links[sorted(roles)[0]]

    def url(token: str) -> str:
        return route.url({"token": token, "anomaly_id": "no-such-anomaly"})

    before = api.state()
    bad_tokens = {
        "garbage": "not-a-link",
        "flipped signature": flip_signature_byte(good),
        "signed with another secret": resigned(good),
        "role changed, signed with another secret": resigned(good, role="proctor"),
        "the recruiter key": RECRUITER_KEY,
        "the service token": SERVICE_TOKEN,
    }
    for what, token in bad_tokens.items():
        response = api.client.request(route.method, url(token), **body)
        assert "link" in assert_refusal(response, 401), what
    # A bearer credential does not stand in for the link.
    response = api.client.request(
        route.method, url("not-a-link"), headers=_bearer(RECRUITER_KEY), **body
    )
    assert_refusal(response, 401)
    for role in {"candidate", "proctor"} - roles:
        response = api.client.request(route.method, url(links[role]), **body)
        assert_refusal(response, 403)
    assert api.state() == before
    for role in roles:
        allowed = api.client.request(route.method, url(links[role]))
        assert allowed.status_code not in {401, 403}, (route.label, role, allowed.text)


def _webhook_body(room: str) -> str:
    event = lkapi.WebhookEvent(
        event="room_started",
        id=f"EV_security_{time.time_ns()}",
        room=lkapi.Room(name=room, sid="RM_security"),
        created_at=int(time.time()),
    )
    return MessageToJson(event)


def test_livekit_webhook_refuses_unsigned_forged_and_altered_bodies(api: Api) -> None:
    interview = api.create_ok(reference_photo=None)
    body = _webhook_body(interview["room"])
    key, secret = api.settings.livekit_api_key, api.settings.secret("livekit_api_secret")
    altered = json.dumps({**json.loads(body), "event": "room_finished"})
    before = api.state()
    attempts = [
        ({}, body),
        ({"Authorization": webhook_authorization(body, key, "another-secret-" * 3)}, body),
        ({"Authorization": webhook_authorization(body, "another-key", secret)}, body),
        ({"Authorization": webhook_authorization(body, key, secret)}, altered),
        (_bearer(RECRUITER_KEY), body),
        (_bearer(SERVICE_TOKEN), body),
    ]
    for headers, content in attempts:
        response = api.client.post(
            "/livekit/webhook",
            content=content,
            headers={**headers, "Content-Type": "application/webhook+json"},
        )
        assert "webhook not verified" in assert_refusal(response, 401)
    assert api.state() == before
    signed = api.client.post(
        "/livekit/webhook",
        content=body,
        headers={
            "Authorization": webhook_authorization(body, key, secret),
            "Content-Type": "application/webhook+json",
        },
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["applied"] is True
    assert api.count(RoomEvent) == 1


def test_media_urls_refuse_missing_wrong_and_expired_signatures(api: Api) -> None:
    interview = api.create_ok()  # with its reference photo, stored as a file
    detail = api.client.get(f"/interviews/{interview['id']}", headers=api.recruiter).json()
    [photo] = detail["files"]
    parts = urlsplit(photo["url"])
    path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
    key = path.removeprefix("/media/")
    signer = MediaUrlSigner(LINK_SECRET)
    _, other_signature = signer.sign("someone/else.jpg", 600)
    past = int(time.time()) - 60
    wrong = MediaUrlSigner("not-the-link-secret-" * 3).sign(key, 600)
    before = api.state()
    attempts: list[tuple[dict[str, Any], dict[str, str], int]] = [
        ({}, {}, 422),
        ({}, _bearer(RECRUITER_KEY), 422),
        ({"expires": query["expires"]}, {}, 422),
        ({**query, "signature": "0" * 64}, {}, 403),
        ({**query, "signature": "\u00f1\u00be\u00ab"}, {}, 403),  # was a 500 (found by fuzzing)
        ({**query, "signature": other_signature}, {}, 403),
        ({"expires": past, "signature": signer.signature(key, past)}, {}, 403),
        ({"expires": wrong[0], "signature": wrong[1]}, {}, 403),
        ({"expires": int(query["expires"]) + 3600, "signature": query["signature"]}, {}, 403),
    ]
    for params, headers, status in attempts:
        assert_refusal(api.client.get(path, params=params, headers=headers), status)
    assert api.state() == before
    allowed = api.client.get(path, params=query)
    assert allowed.status_code == 200
    assert allowed.headers["content-type"] == "image/jpeg"
    assert allowed.content == documents.face_jpeg()


@pytest.mark.parametrize("route", PUBLIC_ROUTES, ids=lambda r: r.label)
def test_public_routes_need_no_credential(api: Api, route: RouteAuth) -> None:
    """Public routes answer without a credential. A page taking a token in its path
    renders for any token (its own calls to the API are what check it); an asset path
    that names no asset is a plain 404."""
    response = api.client.request(route.method, route.url(dict.fromkeys(route.path_params, "x")))
    expected = {200, 404} if route.path_params else {200}
    assert response.status_code in expected, response.text
    for marker in TRACE_MARKERS:
        assert marker not in response.text
