"""receivables: the worklist's weights (issue 18), one JSON object per tenant of the points each reason of the
collector's worklist is worth; empty: the documented defaults (``services/receivables/worklist/rules.py``). A
constant default: adding the column rewrites nothing.

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


def downgrade() -> None:
    op.drop_column("tenants", "worklist_weights", schema=S)
