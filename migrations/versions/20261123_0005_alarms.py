"""alarms: schema, outbox, inbox, projection (tenants, users, customers, invoices, broken promises, action
items), alarm settings, runs, schedule slots, digests and their staging

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.helpers import create_schema_with_outbox_and_inbox, drop_schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

S = "alarms"
UUID = pg.UUID(as_uuid=True)


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
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenants"),
        schema=S,
    )
    op.create_table(
        "users",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("roles", pg.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name="pk_users"),
        schema=S,
    )
    op.create_table(
        "customers",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("collector_id", UUID, nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_customers"),
        schema=S,
    )
    op.create_table(
        "invoices",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("open_amount", sa.Numeric, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("promised_date", sa.Date, nullable=True),
        sa.Column("reported_date", sa.Date, nullable=True),
        sa.Column("dispute_area_id", UUID, nullable=True),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_invoices"),
        schema=S,
    )
    # The weekly alarms read only these statuses: a small slice of a million invoices.
    op.create_index(
        "ix_invoices_alarm_statuses",
        "invoices",
        ["tenant_id", "status"],
        postgresql_where=sa.text("status IN ('payment_reported', 'dispute')"),
        schema=S,
    )
    op.create_table(
        "broken_promises",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("promise_id", UUID, nullable=False),
        sa.Column("invoice_id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("collector_id", UUID, nullable=True),
        sa.Column("promised_date", sa.Date, nullable=False),
        sa.Column("broken_on", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("open_amount", sa.Numeric, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "promise_id", name="pk_broken_promises"),
        schema=S,
    )
    op.create_index("ix_broken_promises_tenant_id_broken_on", "broken_promises", ["tenant_id", "broken_on"], schema=S)
    op.create_table(
        "action_items",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("invoice_ids", pg.ARRAY(UUID), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("assignee_id", UUID, nullable=True),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_action_items"),
        schema=S,
    )
    op.create_index(
        "ix_action_items_open", "action_items", ["tenant_id"], postgresql_where=sa.text("status = 'open'"), schema=S
    )
    op.create_table(
        "alarm_settings",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("alarm", sa.String(40), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("hour", sa.SmallInteger, nullable=False),
        sa.Column("weekdays", pg.ARRAY(sa.SmallInteger), nullable=False),
        sa.Column("weekday", sa.SmallInteger, nullable=False),
        sa.Column("threshold_days", sa.SmallInteger, nullable=False),
        sa.Column("lookback_days", sa.SmallInteger, nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("tenant_id", "alarm", name="pk_alarm_settings"),
        schema=S,
    )
    op.create_table(
        "runs",
        sa.Column("id", UUID, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("alarms", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=True),
        sa.Column("digests", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("rows", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("already_sent", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("unrouted", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        schema=S,
    )
    op.create_index("ix_runs_tenant_id_created_at", "runs", ["tenant_id", "created_at"], schema=S)
    op.create_index("ix_runs_queued", "runs", ["created_at"], postgresql_where=sa.text("status = 'queued'"), schema=S)
    op.create_table(
        "schedule_slots",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("alarm", sa.String(40), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("run_id", UUID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("tenant_id", "alarm", "period", name="pk_schedule_slots"),
        schema=S,
    )
    # A run's digest rows between its statements (several connections) and its transaction; unlogged: a crash
    # only loses rows of a run that is retried anyway.
    op.create_table(
        "digest_staging",
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("run_id", UUID, nullable=False),
        sa.Column("alarm", sa.String(40), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("key", UUID, nullable=False),
        sa.Column("rows", pg.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("seq", name="pk_digest_staging"),
        schema=S,
        prefixes=["UNLOGGED"],
    )
    op.create_index("ix_digest_staging_run_id", "digest_staging", ["run_id"], schema=S)
    op.create_table(
        "digests",
        sa.Column("id", UUID, nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("run_id", UUID, nullable=False),
        sa.Column("alarm", sa.String(40), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("recipient_id", UUID, nullable=False),
        sa.Column("recipient_kind", sa.String(10), nullable=False),
        sa.Column("recipient_user_id", UUID, nullable=True),
        sa.Column("recipient_name", sa.String(200), nullable=False),
        sa.Column("recipient_email", sa.String(254), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("totals", pg.JSONB, nullable=False),
        sa.Column("rows", pg.JSONB, nullable=False),
        sa.Column("data", pg.JSONB, nullable=False),
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("id", name="pk_digests"),
        schema=S,
    )
    # One digest per tenant, alarm, audience, recipient and period: what makes a rerun send nothing twice.
    op.create_index(
        "uq_digests_once_per_period",
        "digests",
        ["tenant_id", "alarm", "audience", "recipient_id", "period"],
        unique=True,
        schema=S,
    )
    # A digest's rows are a large JSON document written once: lz4 compresses it several times faster than the
    # default pglz (kept when the server was built without lz4).
    op.execute(
        "DO $$ BEGIN "
        f"ALTER TABLE {S}.digests ALTER COLUMN rows SET COMPRESSION lz4; "
        f"ALTER TABLE {S}.digest_staging ALTER COLUMN rows SET COMPRESSION lz4; "
        "EXCEPTION WHEN feature_not_supported THEN NULL; END $$"
    )
    op.create_index("ix_digests_tenant_id_created_at", "digests", ["tenant_id", "created_at"], schema=S)
    op.create_index("ix_digests_run_id", "digests", ["run_id"], schema=S)


def downgrade() -> None:
    drop_schema(S)
