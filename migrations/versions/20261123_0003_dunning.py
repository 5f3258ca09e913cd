"""dunning: schema, outbox, inbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from migrations.helpers import create_schema_with_outbox_and_inbox, drop_schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "dunning"


def upgrade() -> None:
    create_schema_with_outbox_and_inbox(S)


def downgrade() -> None:
    drop_schema(S)
