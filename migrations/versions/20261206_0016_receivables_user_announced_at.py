"""receivables: users.announced_at, when the gateway announced the row (the event's time), so a late older event
never overwrites a newer one; NULL for a row learned by asking the gateway, which the next event replaces

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

S = "receivables"


def upgrade() -> None:
    op.add_column("users", sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True), schema=S)


def downgrade() -> None:
    op.drop_column("users", "announced_at", schema=S)
