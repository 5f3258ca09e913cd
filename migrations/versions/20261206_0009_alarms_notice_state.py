"""alarms: the action notice's state on the projected action items (the actions digest shows it)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

S = "alarms"


def upgrade() -> None:
    op.add_column("action_items", sa.Column("notice_state", sa.String(10)), schema=S)


def downgrade() -> None:
    op.drop_column("action_items", "notice_state", schema=S)
