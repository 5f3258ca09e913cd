"""dunning: each customer's open late charges kept as the JSON a message lists (issue 19). A run's hand-over
gathered and turned into JSON every open charge of every customer it wrote to (~10 each at 1M invoices with
interest and a late fee: a fifth of a part's work); each assessment and each status change now keeps the list
(``fees.repository.OPEN_CHARGES``) and the hand-over copies it.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

S = "dunning"
# fees.repository.OPEN_CHARGES as it was written (a migration does not follow later changes of the code)
OPEN_CHARGES = """coalesce(json_agg((SELECT x FROM (SELECT id AS charge_id, invoice_id, invoice_number, kind,
    description, currency, CAST(amount AS text) AS amount, charged_on) x)
    ORDER BY charged_on, invoice_number COLLATE "C", key COLLATE "C"), '[]')"""


def upgrade() -> None:
    op.create_table(
        "open_charges",
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("customer_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("charges", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", name="pk_open_charges"),
        schema=S,
    )
    op.execute(
        f"""
INSERT INTO {S}.open_charges (tenant_id, customer_id, charges)
SELECT tenant_id, customer_id, {OPEN_CHARGES} FROM {S}.charges WHERE status = 'open'
GROUP BY tenant_id, customer_id"""
    )


def downgrade() -> None:
    op.drop_table("open_charges", schema=S)
