"""dunning: each customer's oldest due date among its demanded invoices (normal and owed), kept by the projection
as the invoices change (``projection.repository.keep_oldest_due``). A message's tone rises with the age of the
customer's oldest overdue debt; a run looked it up in every due customer's invoices (about a second of a dry run
and a quarter of each part's hand-over at 1M invoices), it now reads one column. Existing rows are filled here.

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None

S = "dunning"


def upgrade() -> None:
    op.add_column("customers", sa.Column("oldest_due_date", sa.Date(), nullable=True), schema=S)
    op.execute(
        f"""
UPDATE {S}.customers c SET oldest_due_date = o.oldest
FROM (SELECT tenant_id, customer_id, min(due_date) AS oldest FROM {S}.invoices
      WHERE status = 'normal' AND kind <> 'credit_note' AND NOT missing_upstream AND open_amount > 0
      GROUP BY tenant_id, customer_id) o
WHERE c.tenant_id = o.tenant_id AND c.id = o.customer_id"""
    )


def downgrade() -> None:
    op.drop_column("customers", "oldest_due_date", schema=S)
