"""Identity verification cannot be skipped (issue 11, item 1).

A candidate's LiveKit token is issued only once their face and voice baseline has been
accepted (the face checked against the recruiter's reference photo when there is one).
A deployment may explicitly allow live enrollment (``ALLOW_LIVE_ENROLLMENT``): then the
candidate may join unverified, and the proctor's session, the interview and the report
all say "identity not verified" first.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.api.conftest import Api
from tests.support.baseline import link_token, photo_files, record_baseline, voice_files


def _session(api: Api, link: str) -> tuple[int, dict]:
    response = api.client.post(f"/links/{link_token(link)}/session")
    return response.status_code, response.json()


def test_no_candidate_token_before_an_accepted_baseline(api: Api) -> None:
    body = api.create_ok()
    status, answer = _session(api, body["candidate_link"])
    assert status == 409, answer
    assert "baseline" in answer["detail"]
    assert "face and voice" in answer["detail"]
    assert "livekit_token" not in answer

    # The face alone is not enough.
    token = link_token(body["candidate_link"])
    face = api.client.post(f"/links/{token}/baseline/face", files=photo_files())
    assert face.status_code == 200, face.text
    status, answer = _session(api, body["candidate_link"])
    assert status == 409, answer
    assert "voice" in answer["detail"]

    # Nothing moved: the interview has not started, no token was handed out.
    detail = api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()
    assert detail["status"] == "created"

    voice = api.client.post(f"/links/{token}/baseline/voice", files=voice_files())
    assert voice.status_code == 200, voice.text
    status, answer = _session(api, body["candidate_link"])
    assert status == 200, answer
    assert answer["livekit_token"]
    assert answer["interview"]["identity_verified"] is True


def test_the_proctor_may_open_early_and_sees_verification_pending(api: Api) -> None:
    body = api.create_ok()
    status, answer = _session(api, body["proctor_link"])
    assert status == 200, answer
    assert answer["interview"]["identity_verified"] is False
    record_baseline(api.client, body["candidate_link"])
    status, answer = _session(api, body["proctor_link"])
    assert answer["interview"]["identity_verified"] is True


def test_allowed_live_enrollment_is_marked_not_verified(
    api_factory: Callable[..., Api],
) -> None:
    api = api_factory(allow_live_enrollment=True)
    body = api.create_ok()
    status, candidate = _session(api, body["candidate_link"])
    assert status == 200, candidate
    assert candidate["interview"]["identity_verified"] is False
    status, proctor = _session(api, body["proctor_link"])
    assert proctor["interview"]["identity_verified"] is False
    detail = api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()
    assert detail["identity_verified"] is False

    # The interview runs and completes without a baseline: the report says so first.
    interview_id = body["id"]
    _run_as_the_agent(api, interview_id)
    report = _wait_report(api, interview_id)
    identity = report["interview"]["identity"]
    assert identity["verified"] is False
    assert identity["face_baseline"] is False and identity["voice_baseline"] is False
    assert identity["reference_photo"] is True
    assert "not verified" in identity["summary"]
    html = api.client.get(f"/interviews/{interview_id}/report.html", headers=api.recruiter).text
    header = html.split("<h2", 1)[0]  # before the first section: the top of the report
    assert "Identity not verified" in header


def test_a_verified_interview_report_says_verified(api: Api) -> None:
    body = api.create_ready()
    interview_id = body["id"]
    _run_as_the_agent(api, interview_id)
    identity = _wait_report(api, interview_id)["interview"]["identity"]
    assert identity == {
        "verified": True,
        "face_baseline": True,
        "voice_baseline": True,
        "reference_photo": True,
        "summary": identity["summary"],
    }
    assert "verified" in identity["summary"] and "not verified" not in identity["summary"]
    html = api.client.get(f"/interviews/{interview_id}/report.html", headers=api.recruiter).text
    assert "Identity not verified" not in html


def _run_as_the_agent(api: Api, interview_id: str) -> None:
    """What the agent reports of an interview it ran: started, then completed."""
    for status_name in ("in_progress", "completed"):
        moved = api.client.post(
            f"/agent/interviews/{interview_id}/lifecycle",
            json={"status": status_name},
            headers=api.service,
        )
        assert moved.status_code == 200, moved.text


def _wait_report(api: Api, interview_id: str) -> dict:
    import time

    deadline = time.monotonic() + 30
    while True:
        response = api.client.get(f"/interviews/{interview_id}/report", headers=api.recruiter)
        if response.status_code == 200:
            return response.json()
        assert time.monotonic() < deadline, response.text
        time.sleep(0.2)


def test_the_summary_says_what_was_enrolled_live_and_against_what() -> None:
    from control_api.enrollment.verification import IdentityCheck

    face_only = IdentityCheck(face_baseline=True, voice_baseline=False, reference_photo=True)
    text = face_only.summary()
    assert text.startswith("Identity not verified: no accepted voice baseline")
    assert "the voice from their first speech" in text
    assert "face was enrolled" not in text  # the face baseline was the one used
    nothing = IdentityCheck(face_baseline=False, voice_baseline=False, reference_photo=False)
    text = nothing.summary()
    assert "no accepted face and voice baseline" in text
    assert "with no reference photo to compare against" in text
    verified = IdentityCheck(face_baseline=True, voice_baseline=True, reference_photo=True)
    assert verified.summary().startswith("Identity verified before the interview")
    assert "matched the reference photo" in verified.summary()
