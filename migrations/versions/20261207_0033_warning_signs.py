"""receivables: the warning signs of a customer in trouble (issue 18, seed 001), one row per customer and sign with
its evidence, and the computed risk level with its reasons beside the ERP's ``risk_level``. Nullable columns and
constant defaults: adding them rewrites nothing.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

S = "receivables"


def upgrade() -> None:
    op.add_column("customers", sa.Column("computed_risk_level", sa.String(10), nullable=True), schema=S)
    op.add_column(
        "customers",
        sa.Column("computed_risk_reasons", pg.ARRAY(sa.String(300)), nullable=False, server_default=sa.text("'{}'")),
        schema=S,
    )
    op.create_table(
        "warning_signs",
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("customer_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("sign", sa.String(30), nullable=False),
        sa.Column("evidence", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("first_seen_on", sa.Date, nullable=False),
        sa.Column("refreshed_on", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", "sign", name="pk_warning_signs"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["receivables.customers.tenant_id", "receivables.customers.id"],
            name="fk_warning_signs_customer_id_customers",
        ),
        schema=S,
    )
    op.create_index("ix_warning_signs_customer_id_sign", "warning_signs", ["customer_id", "sign"], schema=S)


def downgrade() -> None:
    op.drop_table("warning_signs", schema=S)
    op.drop_column("customers", "computed_risk_reasons", schema=S)
    op.drop_column("customers", "computed_risk_level", schema=S)
