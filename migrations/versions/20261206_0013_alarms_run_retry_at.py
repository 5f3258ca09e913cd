"""alarms: runs.retry_at, when the retry a queued run waits for is due, so the sweeper re-drives only lost runs

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

S = "alarms"


def upgrade() -> None:
    op.add_column("runs", sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True), schema=S)


def downgrade() -> None:
    op.drop_column("runs", "retry_at", schema=S)
