"""receivables: schema, outbox, inbox, customers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.helpers import create_schema_with_outbox_and_inbox, drop_schema, timestamps

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "receivables"


def upgrade() -> None:
    create_schema_with_outbox_and_inbox(S)
    op.create_table(
        "customers",
        sa.Column("id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("tax_id", sa.String(40), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("segment", sa.String(60), nullable=True),
        sa.Column("vip", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("risk_level", sa.String(10), nullable=True),
        sa.Column("tags", pg.ARRAY(sa.String(60)), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("contacts", pg.JSONB, nullable=False, server_default=sa.text("'[]'")),
        sa.Column("opted_out_channels", pg.ARRAY(sa.String(10)), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("collector_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("advisor_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.text("false")),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        schema=S,
    )
    op.create_index("uq_customers_tenant_external_id", "customers", ["tenant_id", "external_id"], unique=True, schema=S)
    op.create_index("ix_customers_tenant_name", "customers", ["tenant_id", "name", "id"], schema=S)
    op.create_index("ix_customers_tags", "customers", ["tags"], postgresql_using="gin", schema=S)
    op.create_index("ix_customers_collector_id", "customers", ["collector_id"], schema=S)
    op.create_table(
        "users",
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("roles", pg.ARRAY(sa.String(20)), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name="pk_users"),
        schema=S,
    )


def downgrade() -> None:
    drop_schema(S)
