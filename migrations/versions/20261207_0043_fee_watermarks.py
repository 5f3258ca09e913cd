"""dunning: the late charges assessed incrementally (issue 19). Each real assessment leaves a watermark per tenant
(``fee_watermarks``: the day, the time, a fingerprint of the configuration) and the invoices it must look at again
(``fee_retries``: a period clipped to nothing by a cap or the legal maximum); the next one looks only at the invoices
that may owe something new, found by indexes on what changed since: customers' and invoices' ``seen_at``, charges'
``status_changed_at``. New tables and indexes: nothing existing is rewritten.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

S = "dunning"


def _uuid(name: str) -> sa.Column:
    return sa.Column(name, pg.UUID(as_uuid=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "fee_watermarks",
        _uuid("tenant_id"),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("candidates", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_fee_watermarks"),
        schema=S,
    )
    op.create_table(
        "fee_retries",
        _uuid("tenant_id"),
        _uuid("invoice_id"),
        sa.PrimaryKeyConstraint("tenant_id", "invoice_id", name="pk_fee_retries"),
        schema=S,
    )
    op.create_index("ix_customers_seen", "customers", ["tenant_id", "seen_at"], schema=S)
    op.create_index("ix_invoices_seen", "invoices", ["tenant_id", "seen_at"], schema=S)
    op.create_index(
        "ix_charges_status_changed",
        "charges",
        ["tenant_id", "status_changed_at"],
        postgresql_where=sa.text("status_changed_at IS NOT NULL"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_index("ix_charges_status_changed", table_name="charges", schema=S)
    op.drop_index("ix_invoices_seen", table_name="invoices", schema=S)
    op.drop_index("ix_customers_seen", table_name="customers", schema=S)
    op.drop_table("fee_retries", schema=S)
    op.drop_table("fee_watermarks", schema=S)
