"""What a link's stored row says is what counts (issue 11, item 9).

The token's own ``exp`` is only half of a link's expiry: the stored ``expires_at`` is
checked too, so shortening it in the database ends the link at once. And a cancelled
interview's links say it was cancelled (410), not that they were replaced by newer
ones that do not exist.
"""

from __future__ import annotations

from datetime import timedelta

import jwt
from sqlmodel import Session

from control_api.models import InterviewLink, utcnow
from tests.api.conftest import Api
from tests.security.credentials import assert_refusal, token_of


def _jti(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def _use_count(api: Api, jti: str) -> int:
    with Session(api.engine) as session:
        link = session.get(InterviewLink, jti)
        assert link is not None
        return link.use_count


def test_a_shortened_stored_expiry_ends_the_link(api: Api) -> None:
    body = api.create_ok(reference_photo=None)
    proctor = token_of(body["proctor_link"])
    assert api.client.post(f"/links/{proctor}/session").status_code == 200
    with Session(api.engine) as session:
        link = session.get(InterviewLink, _jti(proctor))
        assert link is not None
        link.expires_at = utcnow() - timedelta(seconds=1)
        session.add(link)
        session.commit()
    # The token still says it is valid for days; the stored row says it is over.
    claims = jwt.decode(proctor, options={"verify_signature": False})
    assert claims["exp"] > utcnow().timestamp() + 3600
    for method, path in (("POST", "session"), ("GET", "events")):
        answer = api.client.request(method, f"/links/{proctor}/{path}")
        assert assert_refusal(answer, 401) == (
            "this link has expired: ask the recruiter for a new one"
        ), path
    assert _use_count(api, _jti(proctor)) == 1


def test_a_cancelled_interviews_links_say_it_was_cancelled(api: Api) -> None:
    first = api.create_ok(reference_photo=None)
    second = api.client.post(f"/interviews/{first['id']}/links", headers=api.recruiter).json()
    cancelled = api.client.post(f"/interviews/{first['id']}/cancel", headers=api.recruiter)
    assert cancelled.status_code == 200, cancelled.text
    # The current links and the ones replaced before the cancellation alike.
    for links in (second, first):
        for role in ("candidate_link", "proctor_link"):
            answer = api.client.post(f"/links/{token_of(links[role])}/session")
            detail = assert_refusal(answer, 410)
            assert detail == "this interview was cancelled by the recruiter", role
    events = api.client.get(f"/links/{token_of(second['proctor_link'])}/events")
    assert "cancelled" in assert_refusal(events, 410)
