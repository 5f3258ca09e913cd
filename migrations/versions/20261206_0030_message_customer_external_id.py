"""Messaging keeps the ERP's id of each message's customer (issue 14): the ``Communication`` brings it
(``CustomerInfo.external_id``), the message row keeps it, and every event messaging announces about the customer
(``MessageStatusChanged``, ``ContactInvalidated``, ``OptOutRecorded``, ``ReplyReceived``) carries it, so the
webhooks of ``message.*``, ``contact.invalid``, ``customer.opted_out`` and ``customer.replied`` name the ERP's
customer. A nullable column without a default: adding it rewrites nothing.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("customer_external_id", sa.String(100), nullable=True), schema="messaging")


def downgrade() -> None:
    op.drop_column("messages", "customer_external_id", schema="messaging")
