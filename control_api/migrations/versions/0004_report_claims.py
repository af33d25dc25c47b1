"""Report generation claimed once per interview; ATS deliveries keyed (issue 11, item 2).

Adds ``report_claim`` (control_api/reports/models.py): one row per interview whose
report is being generated, so concurrent triggers run one evaluation. The ATS delivery
key needs no column: it is derived from the report id.

Revision ID: 0004_report_claims
Revises: 0003_enrollment
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import control_api.models

revision: str = "0004_report_claims"
down_revision: str | None = "0003_enrollment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_claim",
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("claimed_at", control_api.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("interview_id"),
    )


def downgrade() -> None:
    op.drop_table("report_claim")
