"""What `proctorai up` tells its operator once the stack is running."""

from __future__ import annotations

from pathlib import Path

from control_api.settings import Settings
from proctorai.cli import _banner


def _settings(data_dir: Path, **values: str) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, **values)  # type: ignore[call-arg]


def test_a_generated_recruiter_key_is_shown_with_where_it_lives(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    banner = _banner(settings)
    key = settings.secret("recruiter_api_key")
    assert f"recruiter key {key}" in banner
    assert str(tmp_path / "dev-secrets.json") in banner
    assert "set RECRUITER_API_KEY" in banner
    assert f"dashboard     {settings.public_url}/" in banner


def test_a_configured_recruiter_key_is_never_printed(tmp_path: Path) -> None:
    configured = "a-configured-recruiter-key-of-enough-length-0123456789"
    settings = _settings(tmp_path, recruiter_api_key=configured)
    banner = _banner(settings)
    assert configured not in banner
    assert "recruiter key" not in banner
    # nor any other secret, generated or not
    for name in ("service_token", "link_secret", "livekit_api_secret"):
        assert settings.secret(name) not in banner
