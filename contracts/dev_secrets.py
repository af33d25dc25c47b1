"""The development secrets both processes read from ``DATA_DIR/dev-secrets.json``.

A newcomer sets no secret: the first process to start (the CLI, the API or the agent)
generates them once, and the others read the same file, so the API and the agent agree on
the service token and the LiveKit secret. Development only: production sets them.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from contextlib import suppress
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings

DEV_SECRETS_FILE = "dev-secrets.json"
DEV_SECRET_NAMES = ("recruiter_api_key", "service_token", "link_secret", "livekit_api_secret")
"""Every generated secret (the agent's settings read a subset)."""


def fill_dev_secrets(settings: BaseSettings, names: tuple[str, ...]) -> None:
    """Give each unset secret among ``names`` its generated development value.

    Shared by the API's and the agent's settings, so both read the same
    ``DATA_DIR/dev-secrets.json`` the same way.
    """
    missing = [name for name in names if getattr(settings, name) is None]
    if missing:
        generated = load_or_create_dev_secrets(settings.data_dir)  # type: ignore[attr-defined]
        for name in missing:
            object.__setattr__(settings, name, SecretStr(generated[name]))


def generated_value(settings: BaseSettings, name: str) -> str | None:
    """``name``'s value when it is the generated development one (None when configured,
    or when no development secrets exist): what ``proctorai up`` may show its operator."""
    path = settings.data_dir / DEV_SECRETS_FILE  # type: ignore[attr-defined]
    current = getattr(settings, name)
    if current is None or not path.exists():
        return None
    with suppress(OSError, ValueError):
        stored = json.loads(path.read_text(encoding="utf-8")).get(name)
        if isinstance(stored, str) and stored == current.get_secret_value():
            return stored
    return None


def load_or_create_dev_secrets(data_dir: Path) -> dict[str, str]:
    """Read the generated development secrets, creating them once, race-free.

    The file is written to a temporary name and hard-linked into place, so when the
    CLI, the API and the agent start together exactly one set of secrets wins.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DEV_SECRETS_FILE
    if not path.exists():
        values = {name: secrets.token_urlsafe(32) for name in DEV_SECRET_NAMES}
        fd, tmp_name = tempfile.mkstemp(dir=data_dir, prefix=".dev-secrets-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(values, handle)
            os.chmod(tmp_name, 0o600)
            with suppress(FileExistsError):  # another process was first: use theirs
                os.link(tmp_name, path)
        finally:
            os.unlink(tmp_name)
    stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    # A file from an older version may miss newer names: add them without a race
    # worth guarding against (development only).
    if any(name not in stored for name in DEV_SECRET_NAMES):
        for name in DEV_SECRET_NAMES:
            stored.setdefault(name, secrets.token_urlsafe(32))
        path.write_text(json.dumps(stored), encoding="utf-8")
        os.chmod(path, 0o600)
    return stored
