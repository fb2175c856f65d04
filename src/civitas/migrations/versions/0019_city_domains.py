"""cities turn optional domains off

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cities") as batch:
        batch.add_column(
            sa.Column("disabled_domains", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("cities") as batch:
        batch.drop_column("disabled_domains")
