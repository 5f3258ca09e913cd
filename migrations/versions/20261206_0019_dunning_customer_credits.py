"""dunning: the customer's unapplied credits per currency (issue 12), from receivables' customer snapshot, so
every communication can state the debt net of them

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "customers",
        sa.Column("credits", postgresql.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        schema="dunning",
    )


def downgrade() -> None:
    op.drop_column("customers", "credits", schema="dunning")
