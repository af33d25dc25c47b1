"""Settings of the agent worker, read from environment variables (12-factor).

The agent has its own small settings object instead of importing the control API's:
it runs as a separate process (often on another machine) and talks to the API only
over HTTP, so it needs the API's URL and service token, the LiveKit credentials and
its own tuning, nothing about databases or storage. The variable names are the ones
the control API reads too (``LIVEKIT_URL``, ``SERVICE_TOKEN``, ``AGENT_NAME``, ``DATA_DIR``...),
so one ``.env`` serves both; unset secrets come from the same generated development file
(``DATA_DIR/dev-secrets.json``, :mod:`contracts.dev_secrets`), so on a developer's
machine the API, the agent and livekit-server agree with no configuration.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.dev_secrets import fill_dev_secrets

_GENERATED_SECRETS = ("service_token", "livekit_api_secret")


class AgentSettings(BaseSettings):
    """Everything the worker reads from the environment, with local-first defaults."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    """Shared with the control API: generated dev secrets, and the outbox by default."""

    # The API's URL: CONTROL_API_URL, else the API's own PUBLIC_URL (same machine by default).
    api_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CONTROL_API_URL", "api_base_url")
    )
    public_url: str = "http://127.0.0.1:8000"
    service_token: SecretStr | None = None

    # LiveKit
    livekit_url: str = "ws://127.0.0.1:7880"
    livekit_api_key: str = "proctorai-dev"
    livekit_api_secret: SecretStr | None = None

    # Worker
    agent_name: str = "proctorai-interviewer"
    agent_http_host: str = "127.0.0.1"
    """Where the health check listens: loopback by default, 0.0.0.0 in a container."""
    agent_http_port: int = Field(default=8081, ge=0, le=65535)
    agent_max_jobs: int = Field(default_factory=lambda: 4 * (os.cpu_count() or 1), ge=1)
    """Jobs beyond this many are refused so another worker takes them; by default 4 per
    core. Measured (``docs/benchmarks-agent.md``): a candidate costs the worker 0.17-0.20
    of a core (2 frames per second, voice checks, the offline interviewer speaking), so 2
    cores hold 8 at 80% CPU. ``AGENT_CPU_LIMIT`` refuses jobs on a saturated machine
    whatever this says."""
    agent_cpu_limit: float | None = Field(default=0.9, gt=0, le=1)
    """Machine CPU share (averaged over ~3 s) above which new jobs are refused; empty to
    count jobs only (a machine shared with unrelated work, benchmarks)."""
    agent_process_init_timeout: float = Field(default=60.0, gt=0)
    """Seconds a job process may take to start (importing the engines takes 5 s on an
    idle machine and 20-30 s on a saturated one; LiveKit's default of 10 s killed them)."""

    # Proctoring pipeline
    frame_rate: float = Field(default=2.0, gt=0, le=30)
    """Camera frames analyzed per second per candidate."""
    burst_rate: float = Field(default=5.0, gt=0, le=30)
    """Frames per second analyzed while a face anomaly waits for confirmation (about a
    second at a time; see :mod:`agent.proctor.sampling`)."""
    face_workers: int = Field(default=2, ge=1)
    """Threads running the face engine, shared by every job of this process."""
    face_method: Literal["tracked", "original"] = "tracked"
    """``original``: the original per-frame check (every frame searched and encoded in full),
    only for the capacity benchmark's comparison; never for real interviews."""
    heartbeat_interval: float = Field(default=3.0, gt=0)
    enrollment_frames: int = Field(default=5, ge=1)
    """Good frames used to enroll a face when the interview has no baseline."""
    enrollment_speech_seconds: float = Field(default=10.0, gt=0)
    """Seconds of speech used to enroll a voice when the interview has no baseline."""

    proctor_poll_interval: float = Field(default=2.0, gt=0)
    """How often the hidden proctors of a room are listed (they are invisible otherwise)."""
    candidate_wait_timeout: float = Field(default=600.0, gt=0)
    """How long a dispatched job waits for the candidate before leaving."""

    # Offline interviewer turn-taking
    answer_end_silence: float = Field(default=1.5, gt=0)
    answer_timeout: float = Field(default=20.0, gt=0)
    """Seconds without any speech after a question before it counts as unanswered."""
    candidate_gone_grace: float = Field(default=20.0, gt=0)

    # Delivery to the control API
    outbox_path: Path | None = None
    """Default: ``DATA_DIR/agent-outbox.sqlite3``."""
    outbox_drain_timeout: float = Field(default=10.0, ge=0)
    """How long a finishing job waits for its outbox to drain before leaving the rest."""
    job_cleanup_timeout: float = Field(default=30.0, gt=0)
    """Bound on a job's whole cleanup (ending anomalies, publishing, draining): a job
    shut down from outside never hangs its worker."""

    # Outbox problems (issue 11, item 8): a refused SERVICE_TOKEN, and the metrics
    outbox_credentials_retry_cap: float = Field(default=300.0, gt=0)
    """Longest wait (seconds) between attempts while the control API refuses the service
    token (401/403): the rows are kept, never set aside, and a token that works again is
    noticed within this long (at once by a restarted worker)."""
    agent_prometheus_port: int | None = Field(default=None, ge=0, le=65535)
    """Where the worker serves Prometheus metrics (``/metrics``: outbox rows pending,
    dead letters, refused tokens, plus livekit-agents' own); empty: not served."""

    # Interviewer
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_realtime_model: str = "gpt-realtime"
    openai_voice: str = "alloy"
    offline_voice: str = "en-us"
    """espeak-ng voice of the offline interviewer."""
    offline_words_per_minute: int = Field(default=160, ge=80, le=450)
    """espeak-ng speaking rate of the offline interviewer (tests speak faster)."""

    @field_validator(
        "openai_api_key",
        "openai_base_url",
        "api_base_url",
        "agent_cpu_limit",
        "agent_prometheus_port",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _fill_dev_secrets(self) -> AgentSettings:
        fill_dev_secrets(self, _GENERATED_SECRETS)
        return self

    @property
    def api_url(self) -> str:
        """Base URL of the control API."""
        return (self.api_base_url or self.public_url).rstrip("/")

    @property
    def resolved_outbox_path(self) -> Path:
        return self.outbox_path or self.data_dir / "agent-outbox.sqlite3"

    def secret(self, name: str) -> str:
        """The plain value of a secret that always has one after validation."""
        value = getattr(self, name)
        if not isinstance(value, SecretStr):
            raise RuntimeError(f"setting {name} has no value")
        return value.get_secret_value()

    @property
    def realtime_enabled(self) -> bool:
        """The realtime interviewer runs only with a key; otherwise the offline one."""
        return bool(self.openai_api_key and self.openai_api_key.get_secret_value())


@lru_cache(maxsize=1)
def get_settings() -> AgentSettings:
    """The process-wide settings, read once."""
    return AgentSettings()
