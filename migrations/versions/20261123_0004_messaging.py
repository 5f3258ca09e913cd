"""messaging: schema, outbox, inbox, tenant settings, templates, messages and their contents, attempts, suppressions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.helpers import create_schema_with_outbox_and_inbox, drop_schema, timestamps

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "messaging"
UUID = pg.UUID(as_uuid=True)
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_schema_with_outbox_and_inbox(S)
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("slug", sa.String(80)),
        sa.Column("name", sa.String(300)),
        sa.Column("country", sa.String(2)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("language", sa.String(5)),
        sa.Column("default_currency", sa.String(3)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("tenant_event_at", TZ),
        sa.Column("profile", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("channels", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("secrets", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_settings"),
        schema=S,
    )
    op.create_table(
        "templates",
        sa.Column("id", UUID, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("tone", sa.SmallInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("subject", sa.Text),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text),
        sa.Column("whatsapp_template", sa.String(512)),
        sa.Column("whatsapp_language", sa.String(10)),
        sa.Column("whatsapp_parameters", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("revision", sa.Integer, nullable=False, server_default=sa.text("1")),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_templates"),
        sa.UniqueConstraint(
            "tenant_id", "kind", "channel", "language", "tone", name="uq_templates_tenant_id_kind_channel_language_tone"
        ),
        schema=S,
    )
    op.create_table(
        "messages",
        sa.Column("id", UUID, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("source_ref", sa.String(300)),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("tone", sa.SmallInteger),
        sa.Column("customer_id", UUID),
        sa.Column("to_address", sa.String(320), nullable=False),
        sa.Column("recipient_name", sa.String(300)),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("template_ref", sa.String(200)),
        sa.Column("subject", sa.Text),
        sa.Column("invoice_ids", pg.ARRAY(UUID), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("scheduled_at", TZ, nullable=False),
        sa.Column("deferred_reason", sa.String(40)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("provider_message_id", sa.String(300)),
        sa.Column("error_code", sa.String(60)),
        sa.Column("error", sa.Text),
        sa.Column("dead_lettered", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("resend_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("sent_at", TZ),
        sa.Column("delivered_at", TZ),
        sa.Column("read_at", TZ),
        sa.Column("failed_at", TZ),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_messages_tenant_id_idempotency_key"),
        schema=S,
    )
    op.create_index(
        "ix_messages_tenant_created",
        "messages",
        ["tenant_id", sa.text("created_at DESC"), sa.text("id DESC")],
        schema=S,
    )
    op.create_index(
        "ix_messages_customer", "messages", ["customer_id", "tenant_id", sa.text("created_at DESC")], schema=S
    )
    op.create_index(
        "ix_messages_due",
        "messages",
        ["scheduled_at"],
        schema=S,
        postgresql_where=sa.text("state IN ('queued', 'deferred')"),
    )
    op.create_index(
        "ix_messages_sending", "messages", ["updated_at"], schema=S, postgresql_where=sa.text("state = 'sending'")
    )
    op.create_index(
        "ix_messages_provider_id",
        "messages",
        ["tenant_id", "provider_message_id"],
        schema=S,
        postgresql_where=sa.text("provider_message_id IS NOT NULL AND channel <> 'email'"),
    )
    op.create_table(
        "message_contents",
        sa.Column("message_id", UUID, nullable=False),
        sa.Column("body_text", sa.Text),
        sa.Column("body_html", sa.Text),
        sa.Column("whatsapp", pg.JSONB),
        sa.Column("payload", pg.JSONB, nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_message_contents"),
        sa.ForeignKeyConstraint(
            ["message_id"], [f"{S}.messages.id"], name="fk_message_contents_message_id_messages", ondelete="CASCADE"
        ),
        schema=S,
    )
    # Rendered bodies compress well; lz4 does it several times faster than the default pglz (kept when the
    # server was built without lz4).
    op.execute(
        "DO $$ BEGIN "
        f"ALTER TABLE {S}.message_contents ALTER COLUMN body_text SET COMPRESSION lz4, "
        "ALTER COLUMN body_html SET COMPRESSION lz4, ALTER COLUMN payload SET COMPRESSION lz4; "
        "EXCEPTION WHEN feature_not_supported THEN NULL; END $$"
    )
    op.create_table(
        "attempts",
        sa.Column("message_id", UUID, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("provider_message_id", sa.String(300)),
        sa.Column("error_code", sa.String(60)),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("message_id", "number", name="pk_attempts"),
        sa.ForeignKeyConstraint(
            ["message_id"], [f"{S}.messages.id"], name="fk_attempts_message_id_messages", ondelete="CASCADE"
        ),
        schema=S,
    )
    op.create_table(
        "suppressions",
        sa.Column("id", UUID, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("customer_id", UUID),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_suppressions"),
        sa.UniqueConstraint(
            "tenant_id", "kind", "channel", "address", name="uq_suppressions_tenant_id_kind_channel_address"
        ),
        schema=S,
    )


def downgrade() -> None:
    drop_schema(S)
