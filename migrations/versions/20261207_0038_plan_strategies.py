"""dunning: payment plans (issue 19). An invoice's plan (``invoices.plan_id``: the plan of an installment, or the plan
an ``in_plan`` invoice is grouped in) and the strategy that follows the installments (``strategies.for_payment_plans``,
at most one active and live per tenant). Adding a nullable column and a column with a constant default rewrites
nothing.

Revision ID: 0038
Revises: 0036
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0038"
down_revision = "0036"
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


def downgrade() -> None:
    op.drop_index("uq_strategies_one_for_plans", table_name="strategies", schema=S)
    op.drop_column("strategies", "for_payment_plans", schema=S)
    op.drop_column("invoices", "plan_id", schema=S)
