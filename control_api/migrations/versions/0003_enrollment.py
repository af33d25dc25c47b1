"""Biometric enrollment: face and voice embeddings per interview.

Owned by the enrollment feature (control_api/enrollment/models.py).

Revision ID: 0003_enrollment
Revises: 0002_reports
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import control_api.models

revision: str = "0003_enrollment"
down_revision: str | None = "0002_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "biometric_enrollment",
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("modality", sa.String(length=8), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", control_api.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("interview_id", "modality"),
    )


def downgrade() -> None:
    op.drop_table("biometric_enrollment")
