"""How the API serves the pages: headers that keep link tokens private, assets, refusals."""

from __future__ import annotations

import httpx

from tests.browser.conftest import Site
from tests.support.interviews import created, post_interview_async


async def test_pages_carry_their_security_headers(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        root = await http.get("/")
        assert root.status_code == 307 and root.headers["location"] == "/app"
        for path, marker in (
            ("/app", "recruiter.js"),
            ("/join/some-token", "candidate.js"),
            ("/proctor/some-token", "proctor.js"),
        ):
            page = await http.get(path)
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("text/html")
            assert marker in page.text
            # The link token is in the path: never sent on as a referrer, never cached.
            assert page.headers["referrer-policy"] == "no-referrer"
            assert page.headers["cache-control"] == "no-store"
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_assets_and_livekit_client_are_served_and_nothing_else(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        script = await http.get("/assets/js/proctor.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        style = await http.get("/assets/css/app.css")
        assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
        client = await http.get("/assets/vendor/livekit-client.js")
        assert client.status_code == 200
        assert "LivekitClient" in client.text[:2000]
        icon = await http.get("/favicon.ico")  # every browser asks for it on every page
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
        assert icon.text.startswith("<svg")
        for refused in (
            "/assets/index.html",  # pages only at their own routes, with their headers
            "/assets/../control_api/settings.py",
            "/assets/%2e%2e/pyproject.toml",
            "/assets/js/missing.js",
        ):
            answer = await http.get(refused)
            assert answer.status_code == 404, refused


async def test_the_anomaly_history_is_for_proctor_links_only(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as http:
        answer = await post_interview_async(
            http,
            site.recruiter,
            title="Data engineer",
            candidate_name="Alex Example",
            candidate_email="alex@example.com",
        )
        links = created(answer)
        proctor = links["proctor_link"].rsplit("/", 1)[1]
        candidate = links["candidate_link"].rsplit("/", 1)[1]
        history = await http.get(f"/links/{proctor}/events")
        assert history.status_code == 200
        assert history.json() == {"interview_id": links["id"], "anomalies": []}
        refused = await http.get(f"/links/{candidate}/events")
        assert refused.status_code == 403
        assert "proctor link" in refused.json()["detail"]
        forged = await http.get(f"/links/{proctor[:-4]}abcd/events")
        assert forged.status_code == 401
