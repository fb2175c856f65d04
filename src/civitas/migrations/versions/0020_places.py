"""places: the address register and the base map setting

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civitas.core.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "places_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=True),
        sa.Column("district", sa.String(length=100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cities.id"],
            name=op.f("fk_places_addresses_tenant_id_cities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places_addresses")),
        sa.UniqueConstraint("tenant_id", "ref", name=op.f("uq_places_addresses_tenant_id_ref")),
    )
    op.create_index(op.f("ix_places_addresses_tenant_id"), "places_addresses", ["tenant_id"])
    op.create_table(
        "places_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_version", sa.Integer(), nullable=False),
        sa.Column("register_count", sa.Integer(), nullable=False),
        sa.Column("register_source", sa.String(length=200), nullable=True),
        sa.Column("register_imported_at", civitas.core.db.UTCDateTime(), nullable=True),
        sa.Column("basemap", sa.String(length=10), nullable=False),
        sa.Column("basemap_file", sa.String(length=200), nullable=True),
        sa.Column("basemap_url", sa.String(length=500), nullable=True),
        sa.Column("basemap_attribution", sa.String(length=300), nullable=True),
        sa.Column("basemap_updated_at", civitas.core.db.UTCDateTime(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cities.id"],
            name=op.f("fk_places_settings_tenant_id_cities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_places_settings_tenant_id")),
    )
    op.create_index(op.f("ix_places_settings_tenant_id"), "places_settings", ["tenant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_places_settings_tenant_id"), table_name="places_settings")
    op.drop_table("places_settings")
    op.drop_index(op.f("ix_places_addresses_tenant_id"), table_name="places_addresses")
    op.drop_table("places_addresses")
