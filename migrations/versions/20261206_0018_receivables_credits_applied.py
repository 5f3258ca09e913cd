"""receivables: credits applied (issue 12 point 3): credit notes applied to invoices (credit_applications,
reversible), the invoices a credit note names (invoices.applies_to), the tenant's switch for automatic application
(tenants.auto_apply_credits), and partial indexes to find a customer's open credit cheaply

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

S = "receivables"
UUID = postgresql.UUID(as_uuid=True)


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("auto_apply_credits", sa.Boolean, nullable=False, server_default=sa.text("true")),
        schema=S,
    )
    op.add_column(
        "invoices",
        sa.Column("applies_to", postgresql.ARRAY(sa.String(100)), nullable=False, server_default=sa.text("'{}'")),
        schema=S,
    )
    op.create_table(
        "credit_applications",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("credit_id", UUID, nullable=False),
        sa.Column("invoice_id", UUID, nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_credit_applications"),
        schema=S,
    )
    op.create_index(
        "ix_credit_applications_credit_id",
        "credit_applications",
        ["credit_id"],
        schema=S,
        postgresql_where=sa.text("reversed_at IS NULL"),
    )
    op.create_index(
        "ix_credit_applications_invoice_id",
        "credit_applications",
        ["invoice_id"],
        schema=S,
        postgresql_where=sa.text("reversed_at IS NULL"),
    )
    op.create_index(
        "ix_invoices_open_credit_notes",
        "invoices",
        ["tenant_id", "customer_id"],
        schema=S,
        postgresql_where=sa.text(
            "kind = 'credit_note' AND open_amount > 0 AND status IN ('normal', 'promise_to_pay', "
            "'payment_reported', 'dispute')"
        ),
    )
    op.create_index(
        "ix_payments_unapplied",
        "payments",
        ["tenant_id", "customer_id"],
        schema=S,
        postgresql_where=sa.text("status = 'applied' AND unapplied_amount > 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_payments_unapplied", table_name="payments", schema=S)
    op.drop_index("ix_invoices_open_credit_notes", table_name="invoices", schema=S)
    op.drop_table("credit_applications", schema=S)
    op.drop_column("invoices", "applies_to", schema=S)
    op.drop_column("tenants", "auto_apply_credits", schema=S)
