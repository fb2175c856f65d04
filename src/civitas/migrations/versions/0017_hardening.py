"""hardening: a web draft is sent once; how a service's requests are shown in public;
sign-in failures by name and address

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_report_drafts_request_id_service_requests"),
            "service_requests",
            ["request_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("at_home", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "public_location", sa.String(length=10), nullable=False, server_default="exact"
            )
        )
    # a recycling programme's pickups are collected at home: never shown in public
    op.execute(
        "UPDATE services SET at_home = true, public_location = 'never' WHERE EXISTS ("
        "SELECT 1 FROM recycling_programmes p WHERE p.tenant_id = services.tenant_id "
        "AND p.service_code = services.code)"
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.alter_column("at_home", server_default=None)
        batch_op.alter_column("public_location", server_default=None)
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=45), nullable=True))
        batch_op.create_index(batch_op.f("ix_login_failures_address"), ["address"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_login_address", sa.String(length=45), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_login_address")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_address"))
        batch_op.drop_column("address")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("public_location")
        batch_op.drop_column("at_home")
    with op.batch_alter_table("report_drafts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_report_drafts_request_id_service_requests"), type_="foreignkey"
        )
        batch_op.drop_column("request_id")
