"""saved filters of the case queue

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civitas.core.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("created_at", civitas.core.db.UTCDateTime(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cities.id"],
            name=op.f("fk_saved_filters_tenant_id_cities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_filters_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", "name", name=op.f("uq_saved_filters_tenant_id_user_id_name")
        ),
    )
    op.create_index(op.f("ix_saved_filters_tenant_id"), "saved_filters", ["tenant_id"])
    op.create_index(op.f("ix_saved_filters_user_id"), "saved_filters", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_filters_user_id"), table_name="saved_filters")
    op.drop_index(op.f("ix_saved_filters_tenant_id"), table_name="saved_filters")
    op.drop_table("saved_filters")
