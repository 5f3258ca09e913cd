"""messaging: replies (a customer's inbound SMS, WhatsApp or email reply)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

S = "messaging"
UUID = pg.UUID(as_uuid=True)
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "replies",
        sa.Column("id", UUID, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("from_address", sa.String(320), nullable=False),
        sa.Column("customer_id", UUID),
        sa.Column("in_reply_to", UUID),
        sa.Column("external_id", sa.String(300)),
        sa.Column("subject", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("opt_out", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_replies"),
        sa.UniqueConstraint("tenant_id", "channel", "external_id", name="uq_replies_tenant_id_channel_external_id"),
        schema=S,
    )
    op.create_index(
        "ix_replies_tenant_customer_received",
        "replies",
        ["tenant_id", "customer_id", sa.text("received_at DESC")],
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("replies", schema=S)
