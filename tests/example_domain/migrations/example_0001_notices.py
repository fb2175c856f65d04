"""the notice board's table

Revision ID: example_0001
Revises:
Create Date: 2026-12-04 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "example_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("example",)
depends_on: str | Sequence[str] | None = "0019"  # the cities table it refers to


def upgrade() -> None:
    op.create_table(
        "example_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cities.id"],
            name=op.f("fk_example_notices_tenant_id_cities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_notices")),
    )
    op.create_index(op.f("ix_example_notices_tenant_id"), "example_notices", ["tenant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_example_notices_tenant_id"), table_name="example_notices")
    op.drop_table("example_notices")
