"""Outbox rows the agent set aside, reported to the API (issue 11, item 8).

Owned by control_api/agent_outbox/models.py.

Revision ID: 0005_agent_dead_letters
Revises: 0004_report_claims
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import control_api.models

revision: str = "0005_agent_dead_letters"
down_revision: str | None = "0004_report_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_dead_letter",
        sa.Column("interview_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("reported_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", control_api.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("interview_id", "kind", "key"),
    )


def downgrade() -> None:
    op.drop_table("agent_dead_letter")
