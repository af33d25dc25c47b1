"""The recruiter's list: each interview's integrity state, filters, search, sort, refusals.

Interviews are created, moved and given anomalies through the API, as the recruiter and
the agent do; decisions are recorded through the recruiter's decision endpoint, so the
state each test expects follows from what a proctor did, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from tests.api.conftest import Api
from tests.support.anomalies import T0, anomaly_json


def _new(api: Api, title: str, name: str = "Ada Example", email: str = "ada@example.com") -> str:
    body = api.create_ok(
        title=title, candidate_name=name, candidate_email=email, reference_photo=None
    )
    return str(body["id"])


def _anomalies(api: Api, interview: str, *kinds: tuple[str, str, str]) -> None:
    """Store anomalies given as (id, type, severity)."""
    events = [
        anomaly_json(
            event_id, interview_id=interview, type=kind, severity=severity, started_at=T0 + i
        )
        for i, (event_id, kind, severity) in enumerate(kinds)
    ]
    answer = api.client.post(
        f"/agent/interviews/{interview}/events", json={"events": events}, headers=api.service
    )
    assert answer.status_code == 200, answer.text


def _decide(api: Api, interview: str, anomaly: str, decision: str) -> None:
    answer = api.client.post(
        f"/interviews/{interview}/anomalies/{anomaly}/decision",
        json={"decision": decision, "by": "Test proctor"},
        headers=api.recruiter,
    )
    assert answer.status_code == 201, answer.text


def _move(api: Api, interview: str, *statuses: str) -> None:
    for status in statuses:
        answer = api.client.post(
            f"/agent/interviews/{interview}/lifecycle",
            json={"status": status},
            headers=api.service,
        )
        assert answer.status_code == 200, answer.text


def _cancel(api: Api, interview: str) -> None:
    answer = api.client.post(f"/interviews/{interview}/cancel", json={}, headers=api.recruiter)
    assert answer.status_code == 200, answer.text


def _list(api: Api, **params: Any) -> dict[str, Any]:
    answer = api.client.get("/interviews", params=params, headers=api.recruiter)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


def _seed_states(api: Api) -> dict[str, str]:
    """One interview per state (and per rule that decides it); title -> id, oldest first."""
    ids: dict[str, str] = {}
    ids["pending"] = _new(api, "pending", "Pat Pending", "pat@pending.example")
    ids["clean"] = _new(api, "clean", "Cleo Clean", "cleo@clean.example")
    _move(api, ids["clean"], "ready", "in_progress", "completed")
    ids["cancelled clean"] = _new(api, "cancelled clean", "Cass Cancelled", "cass@x.example")
    _cancel(api, ids["cancelled clean"])

    ids["flagged"] = _new(api, "flagged", "Flo Flagged", "flo@flagged.example")
    _anomalies(api, ids["flagged"], ("f1", "no_face", "medium"), ("f2", "multiple_faces", "high"))
    _decide(api, ids["flagged"], "f1", "dismiss")  # one left with no decision: still flagged
    _move(api, ids["flagged"], "ready", "in_progress")

    ids["dismissed"] = _new(api, "dismissed", "Dee Dismissed", "dee@dismissed.example")
    _anomalies(api, ids["dismissed"], ("d1", "no_face", "low"), ("d2", "face_mismatch", "high"))
    _decide(api, ids["dismissed"], "d1", "dismiss")
    _decide(api, ids["dismissed"], "d2", "confirm")
    _decide(api, ids["dismissed"], "d2", "dismiss")  # the newest decision is in force

    ids["confirmed"] = _new(api, "confirmed", "Con Firmed", "con@confirmed.example")
    _anomalies(api, ids["confirmed"], ("c1", "multiple_faces", "high"), ("c2", "no_face", "low"))
    _decide(api, ids["confirmed"], "c1", "confirm")
    _cancel(api, ids["confirmed"])

    ids["identity"] = _new(api, "identity", "Ida Identity", "ida@identity.example")
    _anomalies(api, ids["identity"], ("i1", "voice_mismatch", "high"))
    _decide(api, ids["identity"], "i1", "dismiss")
    _decide(api, ids["identity"], "i1", "confirm")
    return ids


def test_each_interview_says_its_integrity_and_counts(api: Api) -> None:
    ids = _seed_states(api)
    other = _new(api, "decision on another interview", "Oz Other", "oz@other.example")
    _anomalies(api, other, ("o1", "no_face", "low"))

    page = _list(api)
    by_title = {item["title"]: item for item in page["items"]}
    assert page["total"] == len(ids) + 1
    seen = {
        title: (
            item["integrity"],
            item["anomaly_count"],
            item["unreviewed_count"],
            item["confirmed_count"],
            item["identity_confirmed_count"],
            item["dismissed_count"],
        )
        for title, item in by_title.items()
    }
    assert seen == {
        "pending": ("pending", 0, 0, 0, 0, 0),
        "clean": ("clean", 0, 0, 0, 0, 0),
        "cancelled clean": ("clean", 0, 0, 0, 0, 0),
        "flagged": ("flagged", 2, 1, 0, 0, 1),
        "dismissed": ("dismissed", 2, 0, 0, 0, 2),
        "confirmed": ("confirmed", 2, 1, 1, 0, 0),
        "identity": ("confirmed", 1, 0, 1, 1, 0),
        "decision on another interview": ("flagged", 1, 1, 0, 0, 0),
    }
    assert "candidate_email" not in by_title["pending"]  # the list still leaves it out

    # A later decision changes the state on the next read (no cached verdict).
    _decide(api, ids["flagged"], "f2", "dismiss")
    flagged = next(i for i in _list(api)["items"] if i["id"] == ids["flagged"])
    assert (flagged["integrity"], flagged["dismissed_count"]) == ("dismissed", 2)


def test_filters_combine_and_count_what_matches(api: Api) -> None:
    _seed_states(api)
    assert sorted(_titles(_list(api, integrity="clean"))) == ["cancelled clean", "clean"]
    assert sorted(_titles(_list(api, integrity="confirmed"))) == ["confirmed", "identity"]
    assert _titles(_list(api, integrity="dismissed")) == ["dismissed"]
    assert _titles(_list(api, integrity="pending")) == ["pending"]
    both = _list(api, integrity="confirmed", status="cancelled")
    assert (_titles(both), both["total"]) == (["confirmed"], 1)
    assert _list(api, integrity="flagged", status="cancelled") == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    first = _list(api, integrity="confirmed", limit=1)
    second = _list(api, integrity="confirmed", limit=1, offset=1)
    assert first["total"] == second["total"] == 2
    assert _titles(first) + _titles(second) == ["identity", "confirmed"]  # newest first


def test_search_matches_name_or_email_ignoring_case(api: Api) -> None:
    _new(api, "first", "Ada Lovelace", "ada@analytical.example")
    _new(api, "second", "Grace Hopper", "grace@cobol.example")
    _new(api, "third", "Alan 100% Turing", "alan_t@bombe.example")
    assert _titles(_list(api, q="lOvElAcE")) == ["first"]
    assert _titles(_list(api, q="COBOL.EX")) == ["second"]
    assert sorted(_titles(_list(api, q="a"))) == ["first", "second", "third"]
    assert _titles(_list(api, q="100%")) == ["third"]  # % and _ are letters, not wildcards
    assert _titles(_list(api, q="n_t")) == ["third"]
    assert _titles(_list(api, q="%")) == ["third"]
    assert _list(api, q="nobody")["total"] == 0
    assert _list(api, q="   ")["total"] == 3  # a blank search is no search
    assert _titles(_list(api, q=" grace ")) == ["second"]


def test_sorts(api: Api) -> None:
    ids = _seed_states(api)
    oldest_first = list(ids)
    assert _titles(_list(api)) == list(reversed(oldest_first))
    assert _titles(_list(api, sort="-created_at")) == list(reversed(oldest_first))
    assert _titles(_list(api, sort="created_at")) == oldest_first
    names = [item["candidate_name"] for item in _list(api, sort="candidate")["items"]]
    assert names == sorted(names, key=str.lower)
    names_desc = [item["candidate_name"] for item in _list(api, sort="-candidate")["items"]]
    assert names_desc == list(reversed(names))
    # Most serious first; ties newest first (both clean ones).
    assert _titles(_list(api, sort="integrity")) == [
        "identity",
        "confirmed",
        "flagged",
        "dismissed",
        "cancelled clean",
        "clean",
        "pending",
    ]
    assert _titles(_list(api, sort="-integrity"))[0] == "pending"
    lifecycle = ["created", "ready", "in_progress", "completed", "evaluated", "cancelled", "failed"]
    statuses = [item["status"] for item in _list(api, sort="status")["items"]]
    assert statuses == sorted(statuses, key=lifecycle.index)
    assert statuses[0] == "created"
    statuses_desc = [item["status"] for item in _list(api, sort="-status")["items"]]
    assert statuses_desc == sorted(statuses, key=lifecycle.index, reverse=True)


@pytest.mark.parametrize(
    ("params", "fragments"),
    [
        ({"sort": "name"}, ["sort: ", "'-created_at'", "'candidate'", "'-integrity'"]),
        ({"integrity": "red"}, ["integrity: ", "'clean'", "'flagged'", "'pending'"]),
        ({"status": "done"}, ["status: ", "'created'", "'in_progress'", "'failed'"]),
        ({"q": "x" * 321}, ["q: ", "at most 320 characters"]),
    ],
)
def test_bad_list_parameters_say_what_is_allowed(
    api: Api, params: dict[str, str], fragments: list[str]
) -> None:
    answer = api.client.get("/interviews", params=params, headers=api.recruiter)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    for fragment in fragments:
        assert fragment in detail, detail


def test_a_page_costs_the_same_queries_however_many_interviews(api: Api) -> None:
    """The integrity of a page comes from one query (and one count), not one per row."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):  # not BEGIN and the like
            statements.append(str(args[2]))

    first = _new(api, "only one")
    _anomalies(api, first, ("a1", "no_face", "low"))
    event.listen(api.engine, "before_cursor_execute", record)
    try:
        _list(api, sort="integrity")
        one = len(statements)
        for i in range(4):
            interview = _new(api, f"more {i}")
            _anomalies(api, interview, ("a1", "no_face", "low"), ("a2", "face_mismatch", "high"))
            _decide(api, interview, "a2", "confirm")
        statements.clear()
        page = _list(api, sort="integrity")
    finally:
        event.remove(api.engine, "before_cursor_execute", record)
    assert page["total"] == 5
    assert len(statements) == one == 2, statements
