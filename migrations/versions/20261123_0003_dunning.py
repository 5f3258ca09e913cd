"""dunning: schema, outbox, inbox, projection (tenants, customers, invoices), strategies, runs,
dispatches, action items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.helpers import create_schema_with_outbox_and_inbox, drop_schema, timestamps

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "dunning"
UUID = pg.UUID(as_uuid=True)
EMPTY_UUIDS = sa.text("'{}'::uuid[]")
EMPTY_TEXTS = sa.text("'{}'::text[]")


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    create_schema_with_outbox_and_inbox(S)
    op.create_table(
        "tenants",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("default_currency", sa.String(3), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("automatic", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("run_hour", sa.SmallInteger, nullable=False, server_default=sa.text("8")),
        sa.Column("tolerances", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("holiday_subdivision", sa.String(10), nullable=True),
        sa.Column("extra_holidays", pg.ARRAY(sa.Date), nullable=False, server_default=sa.text("'{}'::date[]")),
        sa.Column("action_owner_id", UUID, nullable=True),
        sa.Column("last_resync", pg.JSONB, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenants"),
        schema=S,
    )
    op.create_table(
        "customers",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("tax_id", sa.String(40), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("segment", sa.String(60), nullable=True),
        sa.Column("vip", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("risk_level", sa.String(10), nullable=True),
        sa.Column("tags", pg.ARRAY(sa.Text), nullable=False, server_default=EMPTY_TEXTS),
        sa.Column("contacts", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("opted_out_channels", pg.ARRAY(sa.Text), nullable=False, server_default=EMPTY_TEXTS),
        sa.Column("usable_channels", pg.ARRAY(sa.Text), nullable=False, server_default=EMPTY_TEXTS),
        sa.Column("collector_id", UUID, nullable=True),
        sa.Column("people", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_customers"),
        schema=S,
    )
    op.create_table(
        "invoices",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False, server_default=sa.text("'invoice'")),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("open_amount", sa.Numeric, nullable=False),
        sa.Column("issue_date", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("promised_date", sa.Date, nullable=True),
        sa.Column("reported_date", sa.Date, nullable=True),
        sa.Column("dispute_area_id", UUID, nullable=True),
        sa.Column("document_url", sa.Text, nullable=True),
        sa.Column("missing_upstream", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("steps_done", pg.ARRAY(UUID), nullable=False, server_default=EMPTY_UUIDS),
        sa.Column("pending_step_id", UUID, nullable=True),
        sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_by_action", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_invoices"),
        schema=S,
    )
    # Room on each page for the dunning state updates (steps pending, done): they stay HOT (no index touched,
    # the row stays on its page), so the table keeps the order invoices arrived in.
    op.execute("ALTER TABLE dunning.invoices SET (fillfactor = 85)")
    op.create_index(
        "ix_invoices_dunnable",
        "invoices",
        ["tenant_id", "due_date"],
        postgresql_where=sa.text("status = 'normal'"),
        schema=S,
    )
    op.create_index("ix_invoices_customer", "invoices", ["tenant_id", "customer_id"], schema=S)
    op.create_table(
        "strategies",
        sa.Column("id", UUID, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("manual_only", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("match", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("steps", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("updated_by", sa.String(80), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_strategies"),
        schema=S,
    )
    op.create_index(
        "uq_strategies_one_default",
        "strategies",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("is_default AND NOT archived"),
        schema=S,
    )
    op.create_index(
        "uq_strategies_name",
        "strategies",
        ["tenant_id", "name"],
        unique=True,
        postgresql_where=sa.text("NOT archived"),
        schema=S,
    )
    op.create_table(
        "strategy_versions",
        sa.Column("strategy_id", UUID, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("snapshot", pg.JSONB, nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("strategy_id", "version", name="pk_strategy_versions"),
        schema=S,
    )
    op.create_table(
        "runs",
        sa.Column("id", UUID, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=True),
        sa.Column("counts", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("strategy_versions", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        schema=S,
    )
    op.create_index("ix_runs_tenant_created", "runs", ["tenant_id", "created_at", "id"], schema=S)
    op.create_index(
        "uq_runs_scheduled",
        "runs",
        ["tenant_id", "as_of"],
        unique=True,
        postgresql_where=sa.text("trigger = 'schedule'"),
        schema=S,
    )
    op.create_table(
        "dispatches",
        sa.Column("id", UUID, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("run_id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(10), nullable=True),
        sa.Column("address", sa.String(254), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("tone", sa.SmallInteger, nullable=False),
        sa.Column("action", sa.String(20), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("strategy_id", UUID, nullable=False),
        sa.Column("invoice_ids", pg.ARRAY(UUID), nullable=False),
        sa.Column("step_ids", pg.ARRAY(UUID), nullable=False),
        sa.Column("step_keys", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("action_invoice_ids", pg.ARRAY(UUID), nullable=False, server_default=EMPTY_UUIDS),
        sa.Column("message_id", UUID, nullable=True),
        sa.Column("delivery_state", sa.String(12), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dispatches"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_dispatches_tenant_id_idempotency_key"),
        schema=S,
    )
    op.create_index("ix_dispatches_customer", "dispatches", ["tenant_id", "customer_id", "created_at"], schema=S)
    op.create_index("ix_dispatches_run", "dispatches", ["run_id", "id"], schema=S)
    op.create_table(
        "action_items",
        sa.Column("id", UUID, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("invoice_ids", pg.ARRAY(UUID), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("assignee_id", UUID, nullable=True),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("notice_sent", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("strategy_id", UUID, nullable=True),
        sa.Column("step_key", sa.String(40), nullable=True),
        sa.Column("dispatch_id", UUID, nullable=True),
        sa.Column("resolution_reason", sa.Text, nullable=True),
        sa.Column("resolved_by", sa.String(80), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_action_items"),
        sa.UniqueConstraint("dispatch_id", name="uq_action_items_dispatch_id"),
        schema=S,
    )
    op.create_index("ix_action_items_list", "action_items", ["tenant_id", "created_at", "id"], schema=S)
    op.create_index(
        "ix_action_items_open", "action_items", ["tenant_id"], postgresql_where=sa.text("status = 'open'"), schema=S
    )


def downgrade() -> None:
    drop_schema(S)
