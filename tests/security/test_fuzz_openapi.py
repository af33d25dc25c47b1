"""Fuzzing every operation of the OpenAPI schema with schemathesis, over real HTTP.

The API is served by uvicorn on a free port (SQLite and PostgreSQL, the session's real
livekit-server). Each operation gets a fresh interview and valid credentials (the
recruiter key, the service token, a real candidate or proctor link, the interview's
id), so the generated data reaches the handlers instead of stopping at the
authorisation check; then a bounded number of schema-valid and schema-violating
requests. Every response must be: no 5xx, no stack trace or internal path in the
body, and conforming to the schema where the schema declares one.

The examples are derandomised, so a run is reproducible and a failure is the same
on every machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from control_api.app import create_app
from tests.api import documents
from tests.api.conftest import RECRUITER_KEY, SERVICE_TOKEN, make_settings
from tests.security.credentials import TRACE_MARKERS, token_of
from tests.support.interviews import created, post_interview
from tests.support.livekit_server import TestLiveKitServer
from tests.support.served_api import serving

EXAMPLES_PER_MODE = 10
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_MODE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def served_api(
    tmp_path: Path, database_url: str, livekit_server: TestLiveKitServer
) -> Iterator[str]:
    # Rate limits off: the fuzzer sends hundreds of link requests and bad credentials
    # from one address in seconds (the limits have tests of their own).
    settings_ = make_settings(
        tmp_path / "data",
        database_url,
        livekit_server,
        maintenance_interval_seconds=0,
        rate_limit_links_per_minute=0,
        rate_limit_link_uses_per_minute=0,
        rate_limit_failed_auth_per_minute=0,
    )
    with serving(create_app(settings_)) as server:
        yield server.url


def _fresh_interview(base: str) -> dict[str, str]:
    """Path values that point at real things: an interview with a stored file, links."""
    with httpx.Client(base_url=base, timeout=30) as http:
        body = created(
            post_interview(
                http,
                {"Authorization": f"Bearer {RECRUITER_KEY}"},
                title="Fuzzed interview",
                candidate_name="Ada Example",
                candidate_email="ada@example.com",
                job_description="\n".join(documents.JOB_LINES),
                resume=("cv.pdf", documents.pdf_bytes(documents.RESUME_LINES)),
                reference_photo=("me.jpg", documents.face_jpeg(), "image/jpeg"),
            )
        )
        detail = http.get(
            f"/interviews/{body['id']}", headers={"Authorization": f"Bearer {RECRUITER_KEY}"}
        ).json()
    photo_url = httpx.URL(detail["files"][0]["url"])
    return {
        "interview_id": body["id"],
        "candidate": token_of(body["candidate_link"]),
        "proctor": token_of(body["proctor_link"]),
        "file_id": detail["files"][0]["id"],
        "key": photo_url.path.removeprefix("/media/"),
    }


def _credentials(operation: Any, real: dict[str, str], token_role: str) -> dict[str, Any]:
    """Fixed headers and path parameters for ``operation``."""
    security = {name for item in operation.definition.raw.get("security", []) for name in item}
    headers: dict[str, str] = {}
    if "RecruiterApiKey" in security:
        headers["Authorization"] = f"Bearer {RECRUITER_KEY}"
    elif "ServiceToken" in security:
        headers["Authorization"] = f"Bearer {SERVICE_TOKEN}"
    names = {p.name for p in operation.path_parameters}
    values = {**real, "token": real[token_role]}
    path = {name: values[name] for name in names if name in values}
    return {"headers": headers, "path_parameters": path}


def _token_role(path: str) -> str:
    """The link that may use a link route: the proctor's for its sidebar routes."""
    return "proctor" if path.endswith(("/decision", "/events")) else "candidate"


def _check(case: Any, response: Any) -> None:
    for marker in TRACE_MARKERS:  # bytes: some answers are images
        assert marker.encode() not in response.content, (marker, case.method, case.path)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_openapi_fuzz(served_api: str) -> None:
    schema = schemathesis.openapi.from_url(f"{served_api}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 20
    failures: list[str] = []
    calls = 0
    for operation in operations:
        real = _fresh_interview(served_api)
        fixed = _credentials(operation, real, _token_role(operation.path))
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, **fixed)

            @FUZZ_SETTINGS
            @given(case=strategy)
            def run(case: Any) -> None:
                nonlocal calls
                calls += 1
                _check(case, case.call(base_url=served_api, timeout=30))

            try:
                run()
            except Unsatisfiable:
                # Every parameter is fixed above, so nothing can be made invalid.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # collect all, then report
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    print(f"\nfuzzed {len(operations)} operations with {calls} requests")
    assert not failures, "\n\n".join(failures)
