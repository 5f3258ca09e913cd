"""dunning: the dunnable invoices by customer and due date (``ix_invoices_customer_dunnable``), so that a run finds a
customer's oldest debt (the age that raises a message's tone, ``statements.final_tones``) with one probe of the
index instead of grouping every open invoice of the tenant. Measured on the 1M bench portfolio: the dry run's
customers' ages took a serial scan of 0.5-0.6 s. Its columns and predicate are already indexed (``customer_id``,
``due_date``, ``status``), so a run's marks on an invoice stay heap-only updates (migration 0048).

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-07
"""

from alembic import op

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_invoices_customer_dunnable",
        "invoices",
        ["tenant_id", "customer_id", "due_date"],
        schema="dunning",
        postgresql_where="status = 'normal'",
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_customer_dunnable", table_name="invoices", schema="dunning")
