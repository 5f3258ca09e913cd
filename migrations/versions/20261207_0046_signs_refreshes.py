"""receivables: the warning signs' refreshes as a resource (issue 13, point 6). ``POST /v1/warning-signs/refresh``
records one and the worker computes it, so no request holds a whole portfolio's refresh (11-20 s at 1M invoices)
near the gateway's upstream timeout; the daily cron records its own. At most one queued or running refresh per
tenant (a partial unique index): a second request answers the one in flight.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None

S = "receivables"


def upgrade() -> None:
    op.create_table(
        "signs_refreshes",
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default=sa.text("'queued'")),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customers", sa.Integer(), nullable=True),
        sa.Column("changed", sa.Integer(), nullable=True),
        sa.Column("risk_changed", sa.Integer(), nullable=True),
        sa.Column("signs", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(2000), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_signs_refreshes"),
        schema=S,
    )
    op.create_index("ix_signs_refreshes_id", "signs_refreshes", ["id"], schema=S)
    op.create_index(
        "ix_signs_refreshes_tenant_requested", "signs_refreshes", ["tenant_id", "requested_at", "id"], schema=S
    )
    op.create_index(
        "uq_signs_refreshes_active",
        "signs_refreshes",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("signs_refreshes", schema=S)
