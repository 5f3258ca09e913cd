"""receivables: payment plans (issue 19, seed 004's "Renegociar la deuda a tres plazos"): the plans, the plan an
invoice belongs to (an installment's plan, or the plan a grouped ``in_plan`` invoice waits in), and the tenant's
limits for the plans the portal proposes. Nullable columns and constant defaults: adding them rewrites nothing.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

S = "receivables"


def upgrade() -> None:
    op.create_table(
        "payment_plans",
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("customer_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default=sa.text("'proposed'")),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("proposed_by", sa.String(80), nullable=True),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("invoice_ids", pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("schedule", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("principal", sa.Numeric, nullable=False),
        sa.Column("down_payment", sa.Numeric, nullable=False, server_default=sa.text("0")),
        sa.Column("interest_annual_rate", sa.Numeric, nullable=False, server_default=sa.text("0")),
        sa.Column("interest_amount", sa.Numeric, nullable=False, server_default=sa.text("0")),
        sa.Column("total", sa.Numeric, nullable=False),
        sa.Column("grace_days", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("accepted_on", sa.Date, nullable=True),
        sa.Column("completed_on", sa.Date, nullable=True),
        sa.Column("broken_on", sa.Date, nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("revision", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_payment_plans"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["receivables.customers.tenant_id", "receivables.customers.id"],
            name="fk_payment_plans_customer_id_customers",
        ),
        schema=S,
    )
    op.create_index("ix_payment_plans_id", "payment_plans", ["id"], schema=S)
    op.create_index("uq_payment_plans_tenant_number", "payment_plans", ["tenant_id", "number"], unique=True, schema=S)
    op.create_index(
        "uq_payment_plans_tenant_external_id", "payment_plans", ["tenant_id", "external_id"], unique=True, schema=S
    )
    op.create_index("ix_payment_plans_tenant_customer", "payment_plans", ["tenant_id", "customer_id"], schema=S)
    op.create_index(
        "ix_payment_plans_accepted",
        "payment_plans",
        ["tenant_id"],
        postgresql_where=sa.text("status = 'accepted'"),
        schema=S,
    )
    op.add_column("invoices", sa.Column("plan_id", pg.UUID(as_uuid=True), nullable=True), schema=S)
    op.create_index(
        "ix_invoices_plan_id",
        "invoices",
        ["tenant_id", "plan_id"],
        postgresql_where=sa.text("plan_id IS NOT NULL"),
        schema=S,
    )
    op.add_column(
        "tenants",
        sa.Column("plan_limits", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        schema=S,
    )


def downgrade() -> None:
    op.drop_column("tenants", "plan_limits", schema=S)
    op.drop_index("ix_invoices_plan_id", table_name="invoices", schema=S)
    op.drop_column("invoices", "plan_id", schema=S)
    op.drop_table("payment_plans", schema=S)
