"""receivables: late charges as documents of their own (issue 19, point 2). Dunning assesses them and announces
``ChargesAssessed``; receivables records each once by its idempotency key (invoice, rule, period), a manager may
waive it with a reason, the ERP marks it invoiced. A new table: nothing existing is rewritten.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

S = "receivables"


def _uuid(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, pg.UUID(as_uuid=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "charges",
        _uuid("tenant_id"),
        _uuid("id"),
        sa.Column("key", sa.String(200), nullable=False),
        _uuid("invoice_id"),
        _uuid("customer_id"),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("charged_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'open'")),
        sa.Column("waived_by", sa.String(80), nullable=True),
        sa.Column("waived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waive_reason", sa.String(500), nullable=True),
        sa.Column("erp_document", sa.String(100), nullable=True),
        sa.Column("invoiced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_charges"),
        schema=S,
    )
    op.create_index("ix_charges_id", "charges", ["id"], schema=S)
    op.create_index("uq_charges_tenant_key", "charges", ["tenant_id", "key"], unique=True, schema=S)
    op.create_index("ix_charges_tenant_customer", "charges", ["tenant_id", "customer_id", "created_at"], schema=S)
    op.create_index("ix_charges_tenant_invoice", "charges", ["tenant_id", "invoice_id"], schema=S)
    op.create_index("ix_charges_tenant_created", "charges", ["tenant_id", "created_at", "id"], schema=S)


def downgrade() -> None:
    op.drop_table("charges", schema=S)
