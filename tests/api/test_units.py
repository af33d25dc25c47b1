"""Pure pieces of the control API: text extraction, storage, settings, migrations,
link tokens and webhook verification."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel

from contracts.dev_secrets import DEV_SECRETS_FILE
from control_api.db import create_db_engine, import_table_modules, run_migrations
from control_api.links import LinkError, decode_link, encode_link, new_link
from control_api.livekit_rooms import LINK_ATTRIBUTE, link_ref
from control_api.models import LinkRole, RoomEvent
from control_api.settings import Settings
from control_api.storage import (
    CloudinaryCredentials,
    CloudinaryStorage,
    InvalidKey,
    LocalStorage,
    MediaUrlSigner,
    make_key,
    validate_key,
)
from control_api.text_extraction import (
    DocumentType,
    UnsupportedDocument,
    detect_document_type,
    extract_text,
)
from control_api.uploads import safe_filename
from tests.api import documents
from tests.api.conftest import LINK_SECRET, Api
from tests.api.livekit_webhooks import signed_webhook


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (documents.pdf_bytes(["x"]), DocumentType.PDF),
        (documents.docx_bytes(["x"]), DocumentType.DOCX),
        ("Grüße aus Köln\nPython".encode(), DocumentType.TEXT),
        ("résumé".encode("utf-16"), DocumentType.TEXT),
    ],
)
def test_type_is_detected_from_content(payload: bytes, expected: DocumentType) -> None:
    assert detect_document_type(payload) is expected


@pytest.mark.parametrize("payload", [documents.face_jpeg(), b"\x00\x01\x02" * 100])
def test_binary_files_are_not_text(payload: bytes) -> None:
    with pytest.raises(UnsupportedDocument, match="upload a PDF"):
        detect_document_type(payload)


def test_text_is_normalised() -> None:
    result = extract_text(b"  Line one  \r\n\r\n\r\n\r\nLine two\n", max_chars=100, max_pdf_pages=5)
    assert result.text == "Line one\n\nLine two"


def test_docx_tables_are_read() -> None:
    import io

    import docx

    document = docx.Document()
    document.add_paragraph("Skills")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Python", "9 years"
    buffer = io.BytesIO()
    document.save(buffer)
    text = extract_text(buffer.getvalue(), max_chars=1000, max_pdf_pages=5).text
    assert text == "Skills\nPython\t9 years"


def test_safe_filename() -> None:
    assert safe_filename("C:\\Users\\ada\\cv.pdf") == "cv.pdf"
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..") == "upload"
    assert safe_filename("cv\x00\x1b.pdf") == "cv.pdf"
    assert safe_filename(None, "resume") == "resume"


def test_local_storage_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files", "http://api", MediaUrlSigner("s" * 32))
    key = make_key("abc", "snapshot", "image/jpeg")
    stored = storage.put(key, b"jpeg bytes", "image/jpeg")
    assert stored.sha256 == hashlib.sha256(b"jpeg bytes").hexdigest()
    assert storage.get(key) == b"jpeg bytes"
    # Atomic writes leave no temporary files behind.
    assert [p.name for p in storage.path_for(key).parent.iterdir()] == [Path(key).name]
    url = urlparse(storage.url(key, expires_in=60))
    assert url.path == f"/media/{key}"
    query = parse_qs(url.query)
    signer = MediaUrlSigner("s" * 32)
    assert signer.verify(key, int(query["expires"][0]), query["signature"][0])
    assert not MediaUrlSigner("t" * 32).verify(key, int(query["expires"][0]), query["signature"][0])
    storage.delete(key)
    assert not storage.path_for(key).exists()
    storage.delete(key)  # deleting twice is fine


@pytest.mark.parametrize(
    "key",
    ["../x.jpg", "a/../../x.jpg", "/etc/passwd", "a//b.jpg", "a/./b", "", "a\\b.jpg", "x" * 300],
)
def test_unsafe_keys_are_refused(key: str, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, "http://api", MediaUrlSigner("s" * 32))
    with pytest.raises(InvalidKey):
        storage.put(key, b"x", "image/jpeg")
    assert list(tmp_path.iterdir()) == []


def test_signed_media_urls_expire() -> None:
    signer = MediaUrlSigner("secret-" * 5)
    expires, signature = signer.sign("a/b.jpg", 60, now=1000)
    assert signer.verify("a/b.jpg", expires, signature, now=1059)
    assert not signer.verify("a/b.jpg", expires, signature, now=1061)
    assert not signer.verify("a/c.jpg", expires, signature, now=1000)


def test_cloudinary_keys_and_urls() -> None:
    credentials = CloudinaryCredentials.from_url("cloudinary://123456:abcdef@demo-cloud")
    assert credentials == CloudinaryCredentials("demo-cloud", "123456", "abcdef")
    storage = CloudinaryStorage(credentials, "/proctorai/")
    assert storage.locate("interviews/i1/snapshot/f.jpg") == (
        "proctorai/interviews/i1/snapshot/f",
        "jpg",
        "image",
    )
    assert storage.locate("interviews/i1/baseline_audio/f.wav") == (
        "proctorai/interviews/i1/baseline_audio/f",
        "wav",
        "video",
    )
    assert storage.locate("interviews/i1/x/f.bin") == ("proctorai/interviews/i1/x/f.bin", "", "raw")
    url = urlparse(storage.url("interviews/i1/snapshot/f.jpg", expires_in=120))
    assert url.netloc == "api.cloudinary.com"
    assert url.path == "/v1_1/demo-cloud/image/download"
    query = parse_qs(url.query)
    assert query["public_id"] == ["proctorai/interviews/i1/snapshot/f"]
    assert query["type"] == ["authenticated"]
    assert query["api_key"] == ["123456"]
    assert "signature" in query and "abcdef" not in url.query
    with pytest.raises(InvalidKey):
        storage.locate("../escape.jpg")
    with pytest.raises(ValueError, match="cloudinary://KEY:SECRET@CLOUD_NAME"):
        CloudinaryCredentials.from_url("https://example.com")


def test_key_validation_accepts_generated_keys() -> None:
    key = make_key("4df9738b-be3b-45ea-96da-e2e856ac56fe", "reference_photo", "image/png")
    assert validate_key(key) == key and key.endswith(".png")


def _settings(**values: Any) -> Settings:
    """Settings from these values and the environment, ignoring any .env file."""
    return Settings(**{"_env_file": None, **values})


def test_dev_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    first = _settings(data_dir=tmp_path, recruiter_api_key="")
    second = _settings(data_dir=tmp_path)
    for name in ("recruiter_api_key", "service_token", "link_secret", "livekit_api_secret"):
        assert len(first.secret(name)) >= 32
        assert first.secret(name) == second.secret(name)
    assert first.secret("service_token") != first.secret("recruiter_api_key")
    mode = stat.S_IMODE(os.stat(tmp_path / DEV_SECRETS_FILE).st_mode)
    assert mode == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [DEV_SECRETS_FILE]
    # Secrets never show in the settings' repr (and so not in logs).
    assert first.secret("link_secret") not in repr(first)
    explicit = _settings(data_dir=tmp_path, recruiter_api_key="mine")
    assert explicit.secret("recruiter_api_key") == "mine"


def test_short_livekit_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="LIVEKIT_API_SECRET must be at least 32 characters"):
        _settings(data_dir=tmp_path, livekit_api_secret="short")


def test_settings_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker run in-process by earlier tests (livekit-agents) exports LIVEKIT_URL and
    # its keys into os.environ for its job processes: start from a clean environment.
    for name in ("LIVEKIT_URL", "LIVEKIT_PUBLIC_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("PUBLIC_URL", "https://interviews.example.com/")
    monkeypatch.setenv("CLOUDINARY_URL", "cloudinary://k:s@c")
    settings = _settings()
    assert settings.public_url == "https://interviews.example.com"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/proctorai.db"
    assert settings.storage_backend == "cloudinary"
    assert settings.livekit_http_url == "http://127.0.0.1:7880"


@pytest.mark.parametrize("db_backend", ["sqlite", "postgres"], indirect=True)
def test_migrations_match_the_models(database_url: str) -> None:
    import_table_modules()
    engine = create_db_engine(database_url)
    run_migrations(engine)
    run_migrations(engine)  # running again is a no-op
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_link_tokens(tmp_path: Path) -> None:
    link = new_link("interview-1", LinkRole.PROCTOR, ttl_seconds=600)
    token = encode_link(link, "k" * 40)
    assert encode_link(link, "k" * 40) == token  # deterministic: links can be shown again
    claims = decode_link(token, "k" * 40)
    assert (claims.interview_id, claims.role, claims.jti) == ("interview-1", "proctor", link.jti)
    with pytest.raises(LinkError, match="not valid"):
        decode_link(token, "other" * 10)


def test_webhooks_are_verified_and_applied_once(api_factory: Callable[..., Api]) -> None:
    api = api_factory()
    interview = api.create_ok(reference_photo=None)
    link = decode_link(interview["candidate_link"].rsplit("/", 1)[1], LINK_SECRET)
    event: dict[str, Any] = {
        "event": "participant_joined",
        "id": "EV_test1",
        "createdAt": "1740823200",
        "room": {"name": interview["room"], "sid": "RM_1"},
        "participant": {
            "identity": f"candidate-{interview['id']}",
            "sid": "PA_1",
            # the candidate's token carries its link's reference (control_api.livekit_rooms)
            "attributes": {LINK_ATTRIBUTE: link_ref(link.jti)},
        },
    }
    body, token = signed_webhook(api, event)
    before = api.state()
    for auth in ("", "Bearer nonsense", token[:-2] + "xx"):
        refused = api.client.post("/livekit/webhook", content=body, headers={"Authorization": auth})
        assert refused.status_code == 401
        assert "signed with LIVEKIT_API_KEY" in refused.json()["detail"]
    forged = body.replace(b"EV_test1", b"EV_test2")
    assert (
        api.client.post(
            "/livekit/webhook", content=forged, headers={"Authorization": token}
        ).status_code
        == 401
    )
    assert api.state() == before

    for expected in (True, False):  # LiveKit retries: the second delivery changes nothing
        response = api.client.post(
            "/livekit/webhook", content=body, headers={"Authorization": token}
        )
        assert response.json() == {
            "event": "participant_joined",
            "interview_id": interview["id"],
            "applied": expected,
        }
    with Session(api.engine) as session:
        row = session.get(RoomEvent, "EV_test1")
        assert row is not None and row.participant_role == "candidate"
        assert row.occurred_at.timestamp() == 1740823200
    detail = api.client.get(f"/interviews/{interview['id']}", headers=api.recruiter).json()
    assert detail["status"] == "in_progress"
