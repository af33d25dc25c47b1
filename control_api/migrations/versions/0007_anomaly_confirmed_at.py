"""Anomalies keep when their start was confirmed (the one anomaly model, issue 18).

Until now the API dropped the message's ``confirmed_at`` and the report measured detection
from the start; older rows keep NULL and are read as confirmed at their start.

Revision ID: 0007_anomaly_confirmed_at
Revises: 0006_proctor_access
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from control_api.models import UTCDateTime

revision: str = "0007_anomaly_confirmed_at"
down_revision: str | None = "0006_proctor_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("proctoring_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proctoring_event", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
