"""Settings of the report feature, read from the environment like the API's own.

Kept apart from :class:`control_api.settings.Settings` (which holds the OpenAI key and
base URL, the media retention period and the media URL lifetime, all used here too) so
the report feature can be configured without touching the API's settings class.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Chat model for the rubric when OPENAI_API_KEY is set (any model with structured outputs).
    openai_eval_model: str = "gpt-4o-mini"
    # Requests for a valid evaluation before falling back to the offline evaluation.
    evaluation_max_attempts: Annotated[int, Field(ge=1, le=10)] = 3

    # Applicant tracking system webhook, called when a report is ready; empty disables it.
    ats_webhook_url: str | None = None
    # Key of the HMAC-SHA256 signature (required when ATS_WEBHOOK_URL is set).
    ats_webhook_secret: SecretStr | None = None
    # Attempts per delivery, and the first back-off in seconds (doubled after each failure).
    ats_webhook_max_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    ats_webhook_backoff_seconds: Annotated[float, Field(ge=0, le=3600)] = 2.0
    ats_webhook_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10.0

    # Snapshots embedded in the HTML and PDF reports (the JSON lists them all).
    report_max_embedded_snapshots: Annotated[int, Field(ge=0, le=200)] = 24

    @field_validator("ats_webhook_url", "ats_webhook_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value
