"""Request dependencies: settings, database session, storage, LiveKit, auth, and the
interview creation form (read and checked here, created by :mod:`control_api.services`).

Authentication answers (documented in the OpenAPI description too):
- no ``Authorization: Bearer ...`` header → 401 with ``WWW-Authenticate: Bearer``;
- a bearer value that is no known credential → 401 (``error="invalid_token"``);
- a valid credential of the other kind (the service token on a recruiter endpoint,
  the recruiter key on an agent endpoint) → 403 (``error="insufficient_scope"``).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, File, Form, HTTPException, Request, Security, UploadFile, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from contracts.interview_context import Sensitivity
from control_api.links import LinkError, decode_link
from control_api.livekit_rooms import RoomManager
from control_api.models import Interview, InterviewLink, InterviewStatus, utcnow
from control_api.services.interview_creation import NewInterview
from control_api.settings import Settings
from control_api.storage import Storage
from control_api.uploads import check_image, document_text, read_upload, safe_filename

recruiter_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="RecruiterApiKey",
    description="Authorization: Bearer <RECRUITER_API_KEY>",
)
service_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ServiceToken",
    description="Authorization: Bearer <SERVICE_TOKEN> (the agent worker)",
)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def get_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


def get_rooms(request: Request) -> RoomManager:
    rooms: RoomManager = request.app.state.rooms
    return rooms


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _check_bearer(
    credentials: HTTPAuthorizationCredentials | None,
    expected: str,
    other: str,
    realm: str,
    what: str,
    hint: str,
) -> None:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"missing credentials: send the header 'Authorization: Bearer <{what}>'",
            headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
        )
    given = credentials.credentials
    if _same(given, expected):
        return
    if _same(given, other):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"this credential cannot use {realm} endpoints: use the {what}",
            headers={"WWW-Authenticate": f'Bearer realm="{realm}", error="insufficient_scope"'},
        )
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        f"this is not the {what}: check the value you sent ({hint})",
        headers={"WWW-Authenticate": f'Bearer realm="{realm}", error="invalid_token"'},
    )


def require_recruiter(
    settings: Annotated[Settings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(recruiter_scheme)],
) -> None:
    """Recruiter endpoints: ``Authorization: Bearer <RECRUITER_API_KEY>``."""
    _check_bearer(
        credentials,
        settings.secret("recruiter_api_key"),
        settings.secret("service_token"),
        "recruiter",
        "RECRUITER_API_KEY",
        "in development `proctorai up` prints it; it is kept in DATA_DIR/dev-secrets.json",
    )


def require_service(
    settings: Annotated[Settings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(service_scheme)],
) -> None:
    """Agent endpoints: ``Authorization: Bearer <SERVICE_TOKEN>``."""
    _check_bearer(
        credentials,
        settings.secret("service_token"),
        settings.secret("recruiter_api_key"),
        "agent",
        "SERVICE_TOKEN",
        "the agent and the API must be given the same one",
    )


EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StorageDep = Annotated[Storage, Depends(get_storage)]
RoomsDep = Annotated[RoomManager, Depends(get_rooms)]


def get_link(
    token: str, session: SessionDep, settings: SettingsDep
) -> tuple[InterviewLink, Interview]:
    """The link a token stands for, checked: signature, expiry, revocation, interview.

    Unusable links get 401 (bad, expired or replaced), 404 (the interview is gone),
    410 (the interview was cancelled: cancelling revokes its links, and "replaced"
    would send the candidate looking for a newer link that does not exist). Expiry is
    the token's ``exp`` and the stored ``expires_at``, whichever comes first, so a
    link can be ended early by shortening its row. A link is not single-use: the
    candidate may reopen theirs to reconnect while the interview is open (each opening
    is counted on the link; the LiveKit identity is the same, so a second device
    replaces the first); the routes refuse it once the interview has ended (409) or
    was cancelled (410). Re-issuing revokes old links.
    """
    try:
        claims = decode_link(token, settings.secret("link_secret"))
    except LinkError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from exc
    link = session.get(InterviewLink, claims.jti)
    if link is None or link.interview_id != claims.interview_id or link.role != claims.role:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "this link is not valid: ask the recruiter for a new one",
        )
    if link.expires_at <= utcnow():
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "this link has expired: ask the recruiter for a new one"
        )
    interview = session.get(Interview, link.interview_id)
    if interview is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this interview no longer exists")
    if interview.status == InterviewStatus.CANCELLED.value:
        raise HTTPException(status.HTTP_410_GONE, "this interview was cancelled by the recruiter")
    if link.revoked_at is not None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "this link has been replaced by a newer one: ask the recruiter for the new link",
        )
    return link, interview


LinkDep = Annotated[tuple[InterviewLink, Interview], Depends(get_link)]


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def present_upload(upload: UploadFile | None) -> UploadFile | None:
    """Browsers send an empty part for a file input left empty: treat it as absent."""
    if upload is None or (not upload.filename and not upload.size):
        return None
    return upload


def required_text(value: str, field: str) -> str:
    """``value`` trimmed, or 422: the form's ``min_length`` lets a blank one through."""
    value = value.strip()
    if not value:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field}: must not be empty or blank"
        )
    return value


def email_address(value: str) -> str:
    """``value`` trimmed, or 422 when it is not shaped like an address (a shape check
    only: a typo in a real-looking address passes)."""
    value = value.strip()
    if not _EMAIL.fullmatch(value):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "candidate_email: not an email address (expected name@example.com)",
        )
    return value


def new_interview(
    settings: SettingsDep,
    title: Annotated[str, Form(min_length=1, max_length=200)],
    candidate_name: Annotated[str, Form(min_length=1, max_length=200)],
    candidate_email: Annotated[str, Form(min_length=3, max_length=320)],
    resume: Annotated[UploadFile, File(description="PDF, DOCX or plain text")],
    job_description: Annotated[
        str | None, Form(max_length=200_000, description="Text, or send job_description_file")
    ] = None,
    job_description_file: Annotated[
        UploadFile | None, File(description="PDF, DOCX or plain text")
    ] = None,
    reference_photo: Annotated[
        UploadFile | None, File(description="JPEG or PNG of the candidate's face")
    ] = None,
    duration_minutes: Annotated[int, Form(ge=5, le=180)] = 30,
    question_count: Annotated[int, Form(ge=1, le=30)] = 6,
    sensitivity: Annotated[Sensitivity, Form()] = Sensitivity.STANDARD,
) -> NewInterview:
    """The ``POST /interviews`` form, every part read and checked before anything is
    written (413, 415 and 422 name the field to fix), in the order of the form."""
    title = required_text(title, "title")
    candidate_name = required_text(candidate_name, "candidate_name")
    candidate_email = email_address(candidate_email)
    limits = {"max_chars": settings.max_document_chars, "max_pdf_pages": settings.max_pdf_pages}
    resume_data = read_upload(resume, settings.max_document_bytes, "resume")
    resume_text = document_text(resume_data, "resume", **limits).text

    jd_upload = present_upload(job_description_file)
    jd_text = (job_description or "").strip()
    if jd_upload is not None and jd_text:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "job_description: send either the text or job_description_file, not both",
        )
    jd_filename: str | None = None
    if jd_upload is not None:
        jd_data = read_upload(jd_upload, settings.max_document_bytes, "job_description_file")
        jd_text = document_text(jd_data, "job_description_file", **limits).text
        jd_filename = safe_filename(jd_upload.filename, "job-description")
    elif not jd_text:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "job_description: required: send the text in job_description "
            "or a file in job_description_file",
        )

    photo_upload = present_upload(reference_photo)
    photo = None
    if photo_upload is not None:
        photo = check_image(
            read_upload(photo_upload, settings.max_image_bytes, "reference_photo"),
            "reference_photo",
        )
    return NewInterview(
        title=title,
        candidate_name=candidate_name,
        candidate_email=candidate_email,
        job_description=jd_text,
        job_description_filename=jd_filename,
        resume_text=resume_text,
        resume_filename=safe_filename(resume.filename, "resume"),
        duration_minutes=duration_minutes,
        question_count=question_count,
        sensitivity=sensitivity,
        reference_photo=photo,
    )


NewInterviewDep = Annotated[NewInterview, Depends(new_interview)]
