"""The API docs and the headers of every answer (issue 11, item 9).

``/docs`` used to load an unpinned ``swagger-ui-dist`` from a CDN, without integrity,
in the origin where the recruiter's key sits in session storage; it is now Swagger UI
from the exact npm version in package.json, served from this origin under a strict
Content-Security-Policy, ReDoc is gone, and ``API_DOCS=false`` removes the docs and the
schema. Answers carry HSTS when PUBLIC_URL is https, and ``Cache-Control: no-store``
unless they say otherwise (the static assets and the signed media keep their own).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Request, async_playwright

from tests.api.conftest import Api
from tests.reports.conftest import seed_interview
from tests.security.credentials import assert_refusal, token_of
from tests.security.launched import launch_settings, launched
from tests.support.livekit_server import TestLiveKitServer, free_tcp_port

ROOT = Path(__file__).resolve().parents[2]
SWAGGER_DIST = ROOT / "node_modules" / "swagger-ui-dist"
CHROMIUM = "/usr/bin/chromium"
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def _csp(header: str) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def test_swagger_ui_is_the_pinned_npm_package() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    pinned = package["dependencies"]["swagger-ui-dist"]
    assert EXACT_VERSION.match(pinned), f"not an exact version: {pinned}"
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/swagger-ui-dist"]["version"] == pinned
    installed = json.loads((SWAGGER_DIST / "package.json").read_text())
    assert installed["version"] == pinned, "run `npm ci`"


def test_the_docs_page_loads_only_this_origins_scripts(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "ProctorAI control API" in page.text
    policy = _csp(page.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy.get("style-src", [])
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "cdn" not in page.text and "//" not in page.text.replace("<!doctype html>", "")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, flags=re.S)
    assert scripts and all(not body.strip() for _, body in scripts), "inline script"
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]  # type: ignore[union-attr]
    assert "/docs/swagger-ui-bundle.js" in sources
    bundle = api.client.get("/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert bundle.content == (SWAGGER_DIST / "swagger-ui-bundle.js").read_bytes()
    style = api.client.get("/docs/swagger-ui.css")
    assert style.content == (SWAGGER_DIST / "swagger-ui.css").read_bytes()
    for other in ("/docs/package.json", "/docs/index.html", "/docs/../pyproject.toml"):
        assert api.client.get(other).status_code == 404, other


def test_redoc_is_gone(api: Api) -> None:
    assert api.client.get("/redoc").status_code == 404
    assert api.client.get("/docs/oauth2-redirect").status_code == 404


def test_api_docs_false_removes_the_docs_and_the_schema(api_factory: Callable[..., Api]) -> None:
    api = api_factory(api_docs=False)
    for path in ("/docs", "/docs/swagger-ui-bundle.js", "/openapi.json", "/redoc"):
        answer = api.client.get(path)
        assert answer.status_code == 404, path
    assert api.client.get("/interviews", headers=api.recruiter).status_code == 200


@pytest.mark.e2e  # Chromium is launched in the body: no fixture says so
async def test_swagger_ui_renders_in_chromium_without_a_csp_violation(
    tmp_path: Path, livekit_server: TestLiveKitServer
) -> None:
    """The policy is strict and Swagger UI still works: every operation is listed, no
    request leaves the origin, and the browser reports no violation."""
    settings = launch_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'db'}", livekit_server)
    with launched(settings) as base:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = await browser.new_page()
                console: list[str] = []
                requested: list[str] = []
                page.on("console", lambda message: console.append(message.text))

                def record(request: Request) -> None:
                    requested.append(request.url)

                page.on("request", record)
                await page.goto(f"{base}/docs")
                await page.wait_for_selector(".opblock-summary-path", timeout=20_000)
                paths = await page.locator(".opblock-summary-path").all_inner_texts()
                title = await page.locator(".info .title").first.inner_text()
            finally:
                await browser.close()
    assert "ProctorAI control API" in title
    assert any("/links/{token}/session" in path for path in paths), paths
    assert all(url.startswith(base) or url.startswith("data:") for url in requested), requested
    violations = [line for line in console if "Content Security Policy" in line]
    assert not violations, violations


def test_hsts_when_public_url_is_https(api_factory: Callable[..., Api]) -> None:
    secure = api_factory(public_url="https://interviews.example.com")
    for path in ("/healthz", "/app", "/interviews"):
        answer = secure.client.get(path)
        assert answer.headers["strict-transport-security"] == "max-age=31536000", path
    plain = api_factory(public_url="http://127.0.0.1:8000")
    assert "strict-transport-security" not in plain.client.get("/healthz").headers


def test_answers_with_personal_data_or_link_tokens_are_not_cached(api: Api) -> None:
    created = api.create()  # the links
    assert created.status_code == 201
    body = created.json()
    proctor = token_of(body["proctor_link"])
    answers = {
        "created interview": created,
        "interview detail": api.client.get(f"/interviews/{body['id']}", headers=api.recruiter),
        "list": api.client.get("/interviews", headers=api.recruiter),
        "new links": api.client.post(f"/interviews/{body['id']}/links", headers=api.recruiter),
        "agent context": api.client.get(
            f"/agent/interviews/{body['id']}/context", headers=api.service
        ),
        "refusal": api.client.get("/interviews"),
    }
    proctor = token_of(answers["new links"].json()["proctor_link"])
    answers["link session"] = api.client.post(f"/links/{proctor}/session")
    answers["proctor history"] = api.client.get(f"/links/{proctor}/events")
    state = api.client.app.state  # type: ignore[attr-defined]
    finished = seed_interview(state.engine, state.storage).interview_id
    made = api.client.post(f"/interviews/{finished}/report", headers=api.recruiter)
    assert made.status_code == 200, made.text
    for name in ("report", "report.html", "report.pdf"):
        url = f"/interviews/{finished}/{name}"
        answers[name] = api.client.get(url, headers=api.recruiter)
    for what, answer in answers.items():
        assert answer.status_code < 500, (what, answer.text)
        assert "no-store" in answer.headers["cache-control"], what
    assert_refusal(answers["refusal"], 401)
    # Static assets and signed media keep the caching they chose.
    vendor = api.client.get("/assets/vendor/livekit-client.js")
    assert vendor.headers["cache-control"] == "public, max-age=3600"


def test_a_served_answer_carries_the_headers(
    tmp_path: Path, livekit_server: TestLiveKitServer
) -> None:
    """Through the served stack too: uvicorn as the launcher runs it (plain HTTP here;
    the https PUBLIC_URL is what a TLS-terminating proxy in front would make it)."""
    settings = launch_settings(
        tmp_path / "data",
        f"sqlite:///{tmp_path / 'db'}",
        livekit_server,
        public_url=f"https://127.0.0.1:{free_tcp_port()}",
    )
    with launched(settings) as base:
        answer = httpx.get(f"{base}/healthz", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
