"""Join and proctor links under attack: tampered, expired, replaced, reused.

The rule for reuse: a link is not single-use. The candidate may reopen their link to
reconnect (a dropped connection, a reloaded page) for as long as the interview is
open; every opening is counted on the link (``use_count``, first and last use), and
each gives a LiveKit token for the same identity, so a second device replaces the
first in the room rather than joining beside it (see ``test_room_isolation``). Once
the interview has ended the link answers 409 (410 if it was cancelled), and a
refused opening is not counted. Re-issuing links revokes the old ones at once.
"""

from __future__ import annotations

import time

import jwt
from sqlmodel import Session, select

from control_api.models import InterviewLink
from tests.api.conftest import LINK_SECRET, Api
from tests.security.credentials import (
    assert_refusal,
    expired_copy,
    flip_signature_byte,
    resigned,
    token_of,
)


def _links(api: Api, interview_id: str) -> dict[str, InterviewLink]:
    with Session(api.engine) as session:
        rows = session.exec(
            select(InterviewLink).where(InterviewLink.interview_id == interview_id)
        ).all()
    return {row.jti: row for row in rows}


def _jti(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def test_tampered_links_are_refused(api: Api) -> None:
    mine = api.create_ok(reference_photo=None)
    other = api.create_ok(reference_photo=None)
    candidate = token_of(mine["candidate_link"])
    header = jwt.get_unverified_header(candidate)
    assert header["alg"] == "HS256"
    claims = jwt.decode(candidate, options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    forged = {
        "one bit of the signature flipped": flip_signature_byte(candidate),
        "pointed at another interview, signed with a guessed secret": resigned(
            candidate, sub=other["id"]
        ),
        "made a proctor link, signed with a guessed secret": resigned(candidate, role="proctor"),
        "expiry pushed out, signed with a guessed secret": resigned(
            candidate, exp=int(time.time()) + 10**7
        ),
        "no signature at all (alg none)": unsigned,
        "signature stripped": candidate.rsplit(".", 1)[0] + ".",
        # Even with the real secret, claims that do not match the issued link fail.
        "right secret, another interview's id": resigned(candidate, LINK_SECRET, sub=other["id"]),
        "right secret, role changed": resigned(candidate, LINK_SECRET, role="proctor"),
        "right secret, other audience": resigned(candidate, LINK_SECRET, aud="something-else"),
    }
    before = api.state()
    for what, token in forged.items():
        response = api.client.post(f"/links/{token}/session")
        assert "this link is not valid" in assert_refusal(response, 401), what
    assert api.state() == before
    assert all(link.use_count == 0 for link in _links(api, mine["id"]).values())


def test_expired_links_are_refused_and_say_so(api: Api) -> None:
    body = api.create_ok(reference_photo=None)
    for role in ("candidate_link", "proctor_link"):
        expired = expired_copy(token_of(body[role]), LINK_SECRET)
        assert _jti(expired) == _jti(token_of(body[role]))  # the real, issued link
        response = api.client.post(f"/links/{expired}/session")
        assert assert_refusal(response, 401) == (
            "this link has expired: ask the recruiter for a new one"
        )
    assert all(link.use_count == 0 for link in _links(api, body["id"]).values())


def test_expiry_is_the_configured_link_ttl(api_factory) -> None:  # type: ignore[no-untyped-def]
    api = api_factory(link_ttl=120)
    before = int(time.time())
    body = api.create_ok(reference_photo=None)
    claims = jwt.decode(
        token_of(body["candidate_link"]),
        LINK_SECRET,
        algorithms=["HS256"],
        audience="proctorai-link",
    )
    assert before + 120 - 2 <= claims["exp"] <= int(time.time()) + 120
    assert claims["exp"] - claims["iat"] == 120


def test_reissued_links_revoke_every_older_link(api: Api) -> None:
    first = api.create_ready(reference_photo=None)
    second = api.client.post(f"/interviews/{first['id']}/links", headers=api.recruiter).json()
    third = api.client.post(f"/interviews/{first['id']}/links", headers=api.recruiter).json()
    for old in (first, second):
        for role in ("candidate_link", "proctor_link"):
            response = api.client.post(f"/links/{token_of(old[role])}/session")
            assert "replaced by a newer one" in assert_refusal(response, 401)
    for role in ("candidate_link", "proctor_link"):
        assert api.client.post(f"/links/{token_of(third[role])}/session").status_code == 200
    rows = _links(api, first["id"])
    assert len(rows) == 6
    assert sum(row.revoked_at is None for row in rows.values()) == 2


def test_candidate_link_reopens_until_the_interview_ends(api: Api) -> None:
    body = api.create_ready(reference_photo=None)
    token = token_of(body["candidate_link"])
    identities = set()
    for _ in range(3):
        opened = api.client.post(f"/links/{token}/session")
        assert opened.status_code == 200
        identities.add(opened.json()["identity"])
    assert identities == {f"candidate-{body['id']}"}  # one identity: reconnections replace
    # The interview starts (the candidate joined) and the link still reopens.
    api.client.post(
        f"/agent/interviews/{body['id']}/lifecycle",
        json={"status": "in_progress"},
        headers=api.service,
    )
    assert api.client.post(f"/links/{token}/session").status_code == 200
    link = _links(api, body["id"])[_jti(token)]
    assert link.use_count == 4
    assert link.first_used_at is not None and link.last_used_at is not None
    assert link.first_used_at <= link.last_used_at
    # Once it has ended, the link answers 409, and the refusal is not a use.
    api.client.post(
        f"/agent/interviews/{body['id']}/lifecycle",
        json={"status": "completed"},
        headers=api.service,
    )
    for _ in range(2):
        ended = api.client.post(f"/links/{token}/session")
        assert "this interview has ended" in assert_refusal(ended, 409)
    assert _links(api, body["id"])[_jti(token)].use_count == 4
