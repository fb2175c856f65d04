"""e-mail alerts of new requests in an area

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civitas.core.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "area_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("long", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("confirmed_at", civitas.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", civitas.core.db.UTCDateTime(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cities.id"],
            name=op.f("fk_area_alerts_tenant_id_cities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_alerts")),
    )
    op.create_index(op.f("ix_area_alerts_email"), "area_alerts", ["email"])
    op.create_index(op.f("ix_area_alerts_tenant_id"), "area_alerts", ["tenant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_area_alerts_tenant_id"), table_name="area_alerts")
    op.drop_index(op.f("ix_area_alerts_email"), table_name="area_alerts")
    op.drop_table("area_alerts")
