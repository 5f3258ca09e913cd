"""messaging: schema, outbox, inbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from migrations.helpers import create_schema_with_outbox_and_inbox, drop_schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "messaging"


def upgrade() -> None:
    create_schema_with_outbox_and_inbox(S)


def downgrade() -> None:
    drop_schema(S)
