"""One settings object for the control API, read from environment variables.

Every value has a default that works on a developer's machine with no account and
no internet. Secrets that are not set are generated once and kept in
``DATA_DIR/dev-secrets.json`` (mode 0600), so a newcomer needs no configuration and
the CLI, the API and the agent (all reading the same ``DATA_DIR``) agree on them.
Those generated values are for local development only; production sets them.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from contracts.dev_secrets import DEV_SECRET_NAMES, fill_dev_secrets

MIN_LIVEKIT_SECRET_LENGTH = 32

# Secret fields that get a generated development value when unset.
_GENERATED_SECRETS = DEV_SECRET_NAMES


class StorageBackend(StrEnum):
    """Where uploaded and captured files are kept."""

    LOCAL = "local"
    CLOUDINARY = "cloudinary"


class Settings(BaseSettings):
    """Configuration of the control API (12-factor: environment variables, ``.env``)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Where the SQLite database, local files and generated dev secrets live.
    data_dir: Path = Path("data")
    # SQLAlchemy URL; empty means SQLite at DATA_DIR/proctorai.db.
    # PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname
    database_url: SecretStr | None = None
    # Base URL of this API as browsers reach it; join and proctor links start with it.
    public_url: str = "http://127.0.0.1:8000"

    # Generated under DATA_DIR when unset (see load_or_create_dev_secrets): after
    # validation these four always hold a value.
    recruiter_api_key: SecretStr = Field(default=None, validate_default=False)  # type: ignore[assignment]
    service_token: SecretStr = Field(default=None, validate_default=False)  # type: ignore[assignment]
    link_secret: SecretStr = Field(default=None, validate_default=False)  # type: ignore[assignment]
    # Lifetime of candidate and proctor links, in seconds (default 7 days).
    link_ttl: Annotated[int, Field(ge=60, le=90 * 24 * 3600)] = 7 * 24 * 3600

    # LiveKit server API (server side) and the URL browsers and clients connect to.
    livekit_url: str = "ws://127.0.0.1:7880"
    livekit_public_url: str | None = None
    livekit_api_key: str = "proctorai-dev"
    livekit_api_secret: SecretStr = Field(default=None, validate_default=False)  # type: ignore[assignment]
    # Lifetime of LiveKit access tokens handed out by the link endpoint, in seconds. Short:
    # a token cannot be revoked, and livekit-server refreshes it for a connected client, so
    # only a rejoin needs a fresh one (the pages ask the link endpoint again).
    livekit_token_ttl: Annotated[int, Field(ge=60, le=3600)] = 600
    # Seconds for LiveKit API calls before the API answers 503.
    livekit_timeout: Annotated[float, Field(gt=0, le=60)] = 5.0
    room_empty_timeout: Annotated[int, Field(ge=1)] = 600
    room_departure_timeout: Annotated[int, Field(ge=1)] = 60
    # Proctors watching one interview at once (each proctor link is one participant); the
    # room admits the candidate and these (agents do not count toward LiveKit's limit).
    max_proctors: Annotated[int, Field(ge=1, le=50)] = 3
    # Identity verification: a candidate's LiveKit token is issued only once their face and
    # voice baseline is accepted (the face checked against the reference photo, if any).
    # True lets a candidate join unverified (the agent then enrolls from the live stream,
    # checked against the reference photo); such interviews say "identity not verified"
    # at the top of the report and on the proctor's page.
    allow_live_enrollment: bool = False
    # The agent worker's agent_name, for explicit dispatch.
    agent_name: str = "proctorai-interviewer"
    # Agent supervision (control_api.agent_supervisor): a room of a running interview with
    # no agent participant for agent_join_timeout seconds is dispatched again (a dispatch
    # made while no worker had room is dropped by livekit-server; a killed worker's job is
    # not restarted), at most agent_max_dispatches times per interview, each wait twice the
    # last (up to agent_redispatch_max_interval: a worker that takes minutes to register
    # still gets the job, without a dispatch every few seconds meanwhile); a job assigned to
    # a worker but not yet in the room gets agent_start_timeout seconds (a job process may
    # take that long to start on a busy machine); the rooms are checked every
    # agent_check_interval seconds (0 turns supervision off).
    agent_join_timeout: Annotated[float, Field(gt=0)] = 10.0
    agent_start_timeout: Annotated[float, Field(gt=0)] = 60.0
    agent_check_interval: Annotated[float, Field(ge=0)] = 2.0
    agent_max_dispatches: Annotated[int, Field(ge=1)] = 20
    agent_redispatch_max_interval: Annotated[float, Field(gt=0)] = 120.0

    # cloudinary://<api_key>:<api_secret>@<cloud_name>; empty means local storage.
    cloudinary_url: SecretStr | None = None
    cloudinary_folder: str = "proctorai"

    # The realtime interviewer and the evaluation (the offline paths need none of these).
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None

    # Upload limits in bytes.
    max_document_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    max_image_bytes: Annotated[int, Field(ge=1024)] = 8 * 1024 * 1024
    # Longest text kept from a resume or job description, in characters.
    max_document_chars: Annotated[int, Field(ge=1000)] = 200_000
    # Pages read from a PDF before it is refused (a guard against PDF bombs).
    max_pdf_pages: Annotated[int, Field(ge=1)] = 50
    # Baseline checks (face photos, voice reading) run on this many dedicated threads at
    # once, each taking about a core; up to baseline_waiting more wait their turn and any
    # beyond answer 503 with Retry-After (a burst of baselines cannot exhaust the API).
    baseline_workers: Annotated[int, Field(ge=1, le=64)] = 2
    baseline_waiting: Annotated[int, Field(ge=0, le=1000)] = 8
    # Days snapshots and baseline media are kept.
    media_retention_days: Annotated[int, Field(ge=1)] = 30
    # Lifetime of signed media URLs, in seconds.
    media_url_ttl: Annotated[int, Field(ge=60)] = 3600

    # Rate limits, per minute (0 turns one off): requests to the public link endpoints
    # (/links/...) from one client, uses of one link, and answers of 401 to one client
    # for one kind of credential before it is refused on that kind's endpoints for the
    # rest of the minute (control_api.ratelimit).
    rate_limit_links_per_minute: Annotated[int, Field(ge=0)] = 60
    rate_limit_link_uses_per_minute: Annotated[int, Field(ge=0)] = 30
    rate_limit_failed_auth_per_minute: Annotated[int, Field(ge=0)] = 20
    # Reverse proxies whose X-Forwarded-For the rate limits believe: comma-separated IP
    # addresses or CIDR networks ("10.0.0.5,172.16.0.0/12"). Empty (the default): none,
    # so the client is always the TCP peer and X-Forwarded-For is ignored.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)

    # The interactive API documentation at /docs (Swagger UI from the pinned npm package
    # swagger-ui-dist, served from this origin) and the schema it reads, /openapi.json;
    # false removes both (the API itself is unchanged).
    api_docs: bool = True

    # Seconds between report catch-up and media retention rounds (0 turns them off).
    maintenance_interval_seconds: Annotated[float, Field(ge=0)] = 60.0
    # Report generation (control_api/reports/service.py). An interview completed by LiveKit's
    # room_finished, not by the agent, is evaluated when the agent's own `completed` arrives
    # (its outbox has then delivered the last turns and events), or once
    # report_drain_seconds have passed without it (a delayed task of the webhook, and the
    # catch-up round after a restart); the catch-up also retries any completed interview
    # still without a report after that long (0: at the next catch-up round). A
    # generation's claim older than report_claim_stale_seconds belongs to a crashed process
    # and is taken over (longer than the slowest evaluation: 3 attempts x 3 requests x 120 s).
    report_drain_seconds: Annotated[float, Field(ge=0, le=3600)] = 120.0
    report_claim_stale_seconds: Annotated[float, Field(gt=0)] = 1200.0

    # Port of the agent worker's health server (livekit-agents), for `proctorai up`.
    agent_http_port: Annotated[int, Field(ge=0, le=65535)] = 8081

    log_level: str = "INFO"

    @model_validator(mode="before")
    @classmethod
    def _drop_empty_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                key: value
                for key, value in data.items()
                if not (key in _GENERATED_SECRETS and value in ("", None))
            }
        return data

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_trusted_proxies(cls, value: object) -> object:
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            value = ",".join(value)
        if not isinstance(value, str):
            return value
        networks = []
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry))
            except ValueError as exc:
                raise ValueError(
                    f"TRUSTED_PROXIES: {entry!r} is not an IP address or network "
                    f"({exc}); write e.g. 10.0.0.5 or 10.0.0.0/8, comma-separated"
                ) from exc
        return networks

    @field_validator("livekit_api_secret")
    @classmethod
    def _livekit_secret_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_LIVEKIT_SECRET_LENGTH:
            raise ValueError(
                f"LIVEKIT_API_SECRET must be at least {MIN_LIVEKIT_SECRET_LENGTH} characters"
            )
        return value

    @field_validator("public_url", "livekit_url", "livekit_public_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("database_url", "cloudinary_url", "openai_api_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _fill_dev_secrets(self) -> Settings:
        fill_dev_secrets(self, _GENERATED_SECRETS)
        return self

    # --- derived values -------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL in use (SQLite under DATA_DIR unless DATABASE_URL is set)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'proctorai.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        """Root folder of local file storage."""
        return self.data_dir / "files"

    @property
    def storage_backend(self) -> StorageBackend:
        return StorageBackend.CLOUDINARY if self.cloudinary_url else StorageBackend.LOCAL

    @property
    def client_livekit_url(self) -> str:
        """The LiveKit URL handed to browsers and rtc clients."""
        return self.livekit_public_url or self.livekit_url

    @property
    def livekit_http_url(self) -> str:
        """The LiveKit server API URL over HTTP(S)."""
        url = self.livekit_url
        if url.startswith("ws"):
            return "http" + url[2:]
        return url

    def secret(self, name: str) -> str:
        """The plain value of a secret field that always has a value after validation."""
        value = getattr(self, name)
        if not isinstance(value, SecretStr):
            raise RuntimeError(f"setting {name} has no value")
        return value.get_secret_value()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings read from the environment (cached)."""
    return Settings()
