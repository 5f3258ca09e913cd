"""dunning and alarms: payment plans (issue 19). An invoice's plan (``invoices.plan_id``: the plan of an installment, or the plan
an ``in_plan`` invoice is grouped in) and the strategy that follows the installments (``strategies.for_payment_plans``,
at most one active and live per tenant); alarms' projection of the plans (``alarms.payment_plans``: the broken ones
make the ``plans_broken`` alarm, whose settings need no column). Adding a nullable column and a column with a constant default rewrites
nothing.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

S = "dunning"


def upgrade() -> None:
    op.add_column("invoices", sa.Column("plan_id", pg.UUID(as_uuid=True), nullable=True), schema=S)
    op.add_column(
        "strategies",
        sa.Column("for_payment_plans", sa.Boolean, nullable=False, server_default=sa.text("false")),
        schema=S,
    )
    op.create_index(
        "uq_strategies_one_for_plans",
        "strategies",
        ["tenant_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("for_payment_plans AND active AND NOT archived"),
    )
    op.create_table(
        "payment_plans",
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("plan_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("customer_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("collector_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("principal", sa.Numeric, nullable=False),
        sa.Column("paid_amount", sa.Numeric, nullable=False),
        sa.Column("installments", sa.Integer, nullable=False),
        sa.Column("unpaid_installments", sa.Integer, nullable=False),
        sa.Column("broken_on", sa.Date, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "plan_id", name="pk_payment_plans"),
        schema="alarms",
    )
    op.create_index(
        "ix_payment_plans_broken",
        "payment_plans",
        ["tenant_id", "broken_on"],
        schema="alarms",
        postgresql_where=sa.text("status = 'broken'"),
    )


def downgrade() -> None:
    op.drop_index("ix_payment_plans_broken", table_name="payment_plans", schema="alarms")
    op.drop_table("payment_plans", schema="alarms")
    op.drop_index("uq_strategies_one_for_plans", table_name="strategies", schema=S)
    op.drop_column("strategies", "for_payment_plans", schema=S)
    op.drop_column("invoices", "plan_id", schema=S)
