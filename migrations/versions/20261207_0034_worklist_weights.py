"""receivables: the worklist's weights (issue 18), one JSON object per tenant of the points each reason of the
collector's worklist is worth; empty: the documented defaults (``services/receivables/worklist/rules.py``). A
constant default: adding the column rewrites nothing. And a partial index of the customers' replies on the timeline
(the worklist's "reply waiting"), small beside the timeline's messages.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

S = "receivables"


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("worklist_weights", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        schema=S,
    )
    op.create_index(
        "ix_timeline_entries_replies",
        "timeline_entries",
        ["tenant_id", "customer_id", "occurred_at"],
        schema=S,
        postgresql_where=sa.text("kind = 'reply_received'"),
    )


def downgrade() -> None:
    op.drop_index("ix_timeline_entries_replies", "timeline_entries", schema=S)
    op.drop_column("tenants", "worklist_weights", schema=S)
