"""Initial schema: interviews, links, lifecycle, events, transcript, files, room events.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 19:47:08.108683
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import control_api.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interview",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("candidate_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("candidate_email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("job_description", sa.Text(), nullable=False),
        sa.Column(
            "job_description_filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
        ),
        sa.Column("resume_text", sa.Text(), nullable=False),
        sa.Column("resume_filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("question_count", sa.Integer(), nullable=False),
        sa.Column("sensitivity", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("room_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", control_api.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("room_name"),
    )
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interview_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_interview_status"), ["status"], unique=False)

    op.create_table(
        "interview_link",
        sa.Column("jti", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("issued_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", control_api.models.UTCDateTime(), nullable=True),
        sa.Column("first_used_at", control_api.models.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", control_api.models.UTCDateTime(), nullable=True),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("jti"),
    )
    with op.batch_alter_table("interview_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interview_link_interview_id"), ["interview_id"], unique=False
        )

    op.create_table(
        "lifecycle_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lifecycle_transition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lifecycle_transition_interview_id"), ["interview_id"], unique=False
        )

    op.create_table(
        "proctoring_event",
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("started_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("ended_at", control_api.models.UTCDateTime(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("start_received", sa.Boolean(), nullable=False),
        sa.Column("end_received", sa.Boolean(), nullable=False),
        sa.Column("message_version", sa.Integer(), nullable=False),
        sa.Column("received_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", control_api.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("interview_id", "id"),
    )
    with op.batch_alter_table("proctoring_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proctoring_event_started_at"), ["started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_proctoring_event_type"), ["type"], unique=False)

    op.create_table(
        "room_event",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "participant_identity", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True
        ),
        sa.Column("participant_role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("occurred_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("received_at", control_api.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("room_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_room_event_interview_id"), ["interview_id"], unique=False
        )

    op.create_table(
        "stored_file",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", control_api.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("storage_key"),
    )
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_file_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stored_file_interview_id"), ["interview_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_stored_file_kind"), ["kind"], unique=False)

    op.create_table(
        "transcript_turn",
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("started_at", control_api.models.UTCDateTime(), nullable=False),
        sa.Column("ended_at", control_api.models.UTCDateTime(), nullable=True),
        sa.Column("received_at", control_api.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("interview_id", "id"),
    )
    with op.batch_alter_table("transcript_turn", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transcript_turn_started_at"), ["started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("transcript_turn", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transcript_turn_started_at"))

    op.drop_table("transcript_turn")
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_file_kind"))
        batch_op.drop_index(batch_op.f("ix_stored_file_interview_id"))
        batch_op.drop_index(batch_op.f("ix_stored_file_created_at"))

    op.drop_table("stored_file")
    with op.batch_alter_table("room_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_event_interview_id"))

    op.drop_table("room_event")
    with op.batch_alter_table("proctoring_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proctoring_event_type"))
        batch_op.drop_index(batch_op.f("ix_proctoring_event_started_at"))

    op.drop_table("proctoring_event")
    with op.batch_alter_table("lifecycle_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lifecycle_transition_interview_id"))

    op.drop_table("lifecycle_transition")
    with op.batch_alter_table("interview_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interview_link_interview_id"))

    op.drop_table("interview_link")
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interview_status"))
        batch_op.drop_index(batch_op.f("ix_interview_created_at"))

    op.drop_table("interview")
