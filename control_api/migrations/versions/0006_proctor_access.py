"""Proctor links carry a label (who they are for), shown with who watched (issue 11, item 4).

Revision ID: 0006_proctor_access
Revises: 0005_agent_dead_letters
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006_proctor_access"
down_revision: str | None = "0005_agent_dead_letters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interview_link", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("interview_link", schema=None) as batch_op:
        batch_op.drop_column("label")
