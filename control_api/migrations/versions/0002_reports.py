"""Reports: stored reports, proctor decisions, webhook deliveries, erasures.

Owned by the report feature (control_api/reports/models.py).

Revision ID: 0002_reports
Revises: 0001
Create Date: 2026-11-21 19:54:19.151214
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import control_api.models

revision: str = "0002_reports"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("erased_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("files_deleted", sa.Integer(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("data_erasure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_erasure_interview_id"), ["interview_id"], unique=False
        )

    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("interview_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_attempted_at"), ["attempted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_delivery_id"), ["delivery_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_interview_id"), ["interview_id"], unique=False
        )

    op.create_table(
        "anomaly_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("anomaly_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor_ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", control_api.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("anomaly_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_anomaly_decision_anomaly_id"), ["anomaly_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_anomaly_decision_interview_id"), ["interview_id"], unique=False
        )

    op.create_table(
        "report",
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column(
            "evaluation_method", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False
        ),
        sa.Column("generated_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("interview_id"),
    )


def downgrade() -> None:
    op.drop_table("report")
    with op.batch_alter_table("anomaly_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_anomaly_decision_interview_id"))
        batch_op.drop_index(batch_op.f("ix_anomaly_decision_anomaly_id"))

    op.drop_table("anomaly_decision")
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_interview_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_delivery_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_attempted_at"))

    op.drop_table("webhook_delivery")
    with op.batch_alter_table("data_erasure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_erasure_interview_id"))

    op.drop_table("data_erasure")
