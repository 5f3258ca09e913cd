"""portal: schema, outbox, inbox; the customer's own page (issue 17): links (token hashes), the tenant's portal
settings, the debtors' actions (the audit), online checkouts, uploaded receipts. Keys lead with tenant_id.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.helpers import create_schema_with_outbox_and_inbox, drop_schema

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

S = "portal"
UUID = pg.UUID(as_uuid=True)
TZ = sa.DateTime(timezone=True)


def _now() -> sa.TextClause:
    return sa.text("now()")


def _parent(name: str, column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id", column], [f"{S}.{table}.tenant_id", f"{S}.{table}.id"], name=name)


def upgrade() -> None:
    create_schema_with_outbox_and_inbox(S)
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("link_valid_days", sa.SmallInteger, nullable=False, server_default=sa.text("30")),
        sa.Column("pay_online", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("plan_max_installments", sa.SmallInteger, nullable=False, server_default=sa.text("3")),
        sa.Column("plan_min_down_payment_percent", sa.Numeric(5, 2), nullable=False, server_default=sa.text("0")),
        sa.Column("plan_min_amount", sa.Numeric(18, 2), nullable=True),
        sa.Column("plan_max_amount", sa.Numeric(18, 2), nullable=True),
        sa.Column("promise_max_days", sa.SmallInteger, nullable=False, server_default=sa.text("30")),
        sa.Column("dispute_areas", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("links_revoked_before", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_settings"),
        schema=S,
    )
    op.create_table(
        "links",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("token_hash", sa.LargeBinary, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("message_id", UUID, nullable=True),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("language", sa.String(5), nullable=True),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.Column("issued_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("opens", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_opened_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_links"),
        schema=S,
    )
    op.create_index("ix_links_id", "links", ["id"], schema=S)
    op.create_index("uq_links_token_hash", "links", ["token_hash"], unique=True, schema=S)
    op.create_index(
        "ix_links_tenant_id_customer_id_issued_at", "links", ["tenant_id", "customer_id", "issued_at"], schema=S
    )
    op.create_table(
        "actions",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("link_id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("detail", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("result", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(400), nullable=True),
        sa.Column("at", TZ, nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_actions"),
        _parent("fk_actions_link_id_links", "link_id", "links"),
        schema=S,
    )
    op.create_index("ix_actions_id", "actions", ["id"], schema=S)
    op.create_index("ix_actions_tenant_id_customer_id_at", "actions", ["tenant_id", "customer_id", "at"], schema=S)
    op.create_table(
        "checkouts",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("link_id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("invoice_ids", pg.ARRAY(UUID), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("preference_id", sa.String(100), nullable=False),
        sa.Column("init_point", sa.String(2000), nullable=False),
        sa.Column("state", sa.String(10), nullable=False, server_default=sa.text("'created'")),
        sa.Column("provider_payment_id", sa.String(100), nullable=True),
        sa.Column("provider_status", sa.String(40), nullable=True),
        sa.Column("payment_id", UUID, nullable=True),
        sa.Column("created_at", TZ, nullable=False, server_default=_now()),
        sa.Column("updated_at", TZ, nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_checkouts"),
        sa.CheckConstraint("state IN ('created', 'pending', 'paid', 'failed', 'reversed')", name="ck_checkouts_state"),
        _parent("fk_checkouts_link_id_links", "link_id", "links"),
        schema=S,
    )
    op.create_index("ix_checkouts_id", "checkouts", ["id"], schema=S)
    op.create_index("uq_checkouts_preference_id", "checkouts", ["preference_id"], unique=True, schema=S)
    op.create_index(
        "ix_checkouts_tenant_id_customer_id_created_at",
        "checkouts",
        ["tenant_id", "customer_id", "created_at"],
        schema=S,
    )
    op.create_table(
        "receipts",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("action_id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("content_type", sa.String(60), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=True),
        sa.Column("paid_on", sa.Date, nullable=True),
        sa.Column("created_at", TZ, nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_receipts"),
        _parent("fk_receipts_action_id_actions", "action_id", "actions"),
        schema=S,
    )
    op.create_index("ix_receipts_id", "receipts", ["id"], schema=S)


def downgrade() -> None:
    drop_schema(S)
