"""dunning: each message's fate (steps done when sent, fallbacks, the action notice's state) and reply pauses

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

S = "dunning"
UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.add_column(
        "invoices", sa.Column("pending_accepted", sa.Boolean, nullable=False, server_default=sa.false()), schema=S
    )
    op.add_column("dispatches", sa.Column("origin_id", UUID), schema=S)
    op.create_index(
        "ix_dispatches_origin", "dispatches", ["origin_id"], postgresql_where=sa.text("origin_id IS NOT NULL"), schema=S
    )
    op.add_column("customers", sa.Column("replied_on", sa.Date), schema=S)
    op.add_column(
        "tenants", sa.Column("reply_pause_days", sa.SmallInteger, nullable=False, server_default="3"), schema=S
    )
    # notice_sent (true: messaging accepted the notice) becomes the notice's real state
    op.add_column("action_items", sa.Column("notice_state", sa.String(10)), schema=S)
    op.execute(
        "UPDATE dunning.action_items a SET notice_state = CASE "
        "WHEN d.delivery_state IN ('sent', 'delivered', 'read') THEN 'sent' "
        "WHEN d.delivery_state IN ('failed', 'bounced') OR NOT a.notice_sent THEN 'failed' ELSE 'pending' END "
        "FROM dunning.dispatches d WHERE a.source = 'step' AND d.id = a.dispatch_id"
    )
    # dispatches accepted before this change already recorded their steps done; those messaging sent say so
    op.execute(
        "UPDATE dunning.dispatches SET state = 'sent' "
        "WHERE state = 'accepted' AND delivery_state IN ('sent', 'delivered', 'read')"
    )
    op.drop_column("action_items", "notice_sent", schema=S)


def downgrade() -> None:
    op.add_column(
        "action_items", sa.Column("notice_sent", sa.Boolean, nullable=False, server_default=sa.false()), schema=S
    )
    op.execute("UPDATE dunning.action_items SET notice_sent = coalesce(notice_state IN ('pending', 'sent'), false)")
    op.execute("UPDATE dunning.dispatches SET state = 'accepted' WHERE state = 'sent'")
    op.drop_column("action_items", "notice_state", schema=S)
    op.drop_column("tenants", "reply_pause_days", schema=S)
    op.drop_column("customers", "replied_on", schema=S)
    op.drop_index("ix_dispatches_origin", "dispatches", schema=S)
    op.drop_column("dispatches", "origin_id", schema=S)
    op.drop_column("invoices", "pending_accepted", schema=S)
