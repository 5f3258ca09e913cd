"""receivables: schema, outbox, inbox, customers, people, invoices, payments, outcomes, promises, notes, tasks, timeline

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.helpers import create_schema_with_outbox_and_inbox, drop_schema, timestamps

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "receivables"
UUID = pg.UUID(as_uuid=True)


def _id() -> sa.Column:
    return sa.Column("id", UUID, nullable=False)


def _tenant() -> sa.Column:
    return sa.Column("tenant_id", UUID, nullable=False)


# Time-ordered UUIDs (version 7 layout: 48 bits of milliseconds, then random) for rows written in bulk: new
# keys land at the right edge of their indexes instead of on a random page each, so a 10,000-row batch dirties
# a few index pages rather than thousands.
UUID7 = f"""
CREATE FUNCTION {S}.uuid7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$
"""


def upgrade() -> None:
    create_schema_with_outbox_and_inbox(S)
    op.execute(UUID7)
    op.create_table(
        "customers",
        _id(),
        _tenant(),
        sa.Column("revision", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("tax_id", sa.String(40), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("segment", sa.String(60), nullable=True),
        sa.Column("vip", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("risk_level", sa.String(10), nullable=True),
        sa.Column("tags", pg.ARRAY(sa.String(60)), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("contacts", pg.JSONB, nullable=False, server_default=sa.text("'[]'")),
        sa.Column("opted_out_channels", pg.ARRAY(sa.String(10)), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("collector_id", UUID, nullable=True),
        sa.Column("advisor_id", UUID, nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("source_version", sa.BigInteger, nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        schema=S,
    )
    op.create_index("uq_customers_tenant_external_id", "customers", ["tenant_id", "external_id"], unique=True, schema=S)
    op.create_index("ix_customers_tenant_name", "customers", ["tenant_id", "name", "id"], schema=S)
    op.create_index("ix_customers_tags", "customers", ["tags"], postgresql_using="gin", schema=S)
    op.create_index("ix_customers_collector_id", "customers", ["collector_id"], schema=S)
    op.create_index("ix_customers_advisor_id", "customers", ["advisor_id"], schema=S)
    op.create_table(
        "users",
        _tenant(),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("roles", pg.ARRAY(sa.String(20)), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name="pk_users"),
        schema=S,
    )
    op.create_table(
        "tenants",
        _tenant(),
        sa.Column("slug", sa.String(60), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("default_currency", sa.String(3), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("promise_grace_days", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("follow_up_days", sa.Integer, nullable=False, server_default=sa.text("3")),
        sa.Column("action_owner_id", UUID, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenants"),
        schema=S,
    )
    op.create_table(
        "people",
        _id(),
        _tenant(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("whatsapp", sa.String(20), nullable=True),
        sa.Column("supervisor_id", UUID, nullable=True),
        sa.Column("user_id", UUID, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.ForeignKeyConstraint(["supervisor_id"], [f"{S}.people.id"], name="fk_people_supervisor_id_people"),
        schema=S,
    )
    op.create_index("uq_people_tenant_external_id", "people", ["tenant_id", "external_id"], unique=True, schema=S)
    op.create_index(
        "uq_people_tenant_kind_name_key", "people", ["tenant_id", "kind", "name_key"], unique=True, schema=S
    )
    op.create_index("uq_people_tenant_user_id", "people", ["tenant_id", "user_id"], unique=True, schema=S)
    op.create_table(
        "dispute_areas",
        _id(),
        _tenant(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("responsible_id", UUID, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_dispute_areas"),
        sa.ForeignKeyConstraint(["responsible_id"], [f"{S}.people.id"], name="fk_dispute_areas_responsible_id_people"),
        schema=S,
    )
    op.create_index("uq_dispute_areas_tenant_name", "dispute_areas", ["tenant_id", "name"], unique=True, schema=S)
    op.create_table(
        "invoices",
        _id(),
        _tenant(),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False, server_default=sa.text("'invoice'")),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("open_amount", sa.Numeric, nullable=False),
        sa.Column("issue_date", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("document_url", sa.String(500), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'normal'")),
        sa.Column("promised_date", sa.Date, nullable=True),
        sa.Column("reported_date", sa.Date, nullable=True),
        sa.Column("dispute_area_id", UUID, nullable=True),
        sa.Column("closed_on", sa.Date, nullable=True),
        sa.Column("source_version", sa.BigInteger, nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        # no foreign keys on the table of millions of rows (see the model)
        schema=S,
    )
    op.create_index("uq_invoices_tenant_external_id", "invoices", ["tenant_id", "external_id"], unique=True, schema=S)
    op.create_index("ix_invoices_tenant_customer_due", "invoices", ["tenant_id", "customer_id", "due_date"], schema=S)
    op.create_index("ix_invoices_tenant_due_id", "invoices", ["tenant_id", "due_date", "id"], schema=S)
    op.create_table(
        "payments",
        _id(),
        _tenant(),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("unapplied_amount", sa.Numeric, nullable=False),
        sa.Column("payment_date", sa.Date, nullable=False),
        sa.Column("reference", sa.String(120), nullable=True),
        sa.Column("status", sa.String(10), nullable=False, server_default=sa.text("'applied'")),
        sa.Column("reversed_on", sa.Date, nullable=True),
        sa.Column("reversal_reason", sa.String(300), nullable=True),
        sa.Column("named_invoices", pg.JSONB, nullable=False, server_default=sa.text("'[]'")),
        sa.Column("source_version", sa.BigInteger, nullable=True),
        sa.Column("created_by", sa.String(80), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.ForeignKeyConstraint(["customer_id"], [f"{S}.customers.id"], name="fk_payments_customer_id_customers"),
        schema=S,
    )
    op.create_index("uq_payments_tenant_external_id", "payments", ["tenant_id", "external_id"], unique=True, schema=S)
    op.create_index(
        "ix_payments_tenant_customer_date", "payments", ["tenant_id", "customer_id", "payment_date"], schema=S
    )
    op.create_table(
        "payment_allocations",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        _tenant(),
        sa.Column("payment_id", UUID, nullable=False),
        sa.Column("invoice_id", UUID, nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("payment_date", sa.Date, nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_payment_allocations"),
        sa.ForeignKeyConstraint(
            ["payment_id"], [f"{S}.payments.id"], name="fk_payment_allocations_payment_id_payments"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], [f"{S}.invoices.id"], name="fk_payment_allocations_invoice_id_invoices"
        ),
        schema=S,
    )
    op.create_index("ix_payment_allocations_payment_id", "payment_allocations", ["payment_id"], schema=S)
    op.create_index("ix_payment_allocations_invoice_id", "payment_allocations", ["invoice_id"], schema=S)
    op.create_table(
        "promises",
        _id(),
        _tenant(),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("invoice_id", UUID, nullable=False),
        sa.Column("outcome_id", UUID, nullable=True),
        sa.Column("promised_date", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("collector_id", UUID, nullable=True),
        sa.Column("status", sa.String(10), nullable=False, server_default=sa.text("'open'")),
        sa.Column("resolved_on", sa.Date, nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_promises"),
        sa.ForeignKeyConstraint(["customer_id"], [f"{S}.customers.id"], name="fk_promises_customer_id_customers"),
        sa.ForeignKeyConstraint(["invoice_id"], [f"{S}.invoices.id"], name="fk_promises_invoice_id_invoices"),
        schema=S,
    )
    op.create_index(
        "ix_promises_open_due",
        "promises",
        ["tenant_id", "promised_date"],
        postgresql_where=sa.text("status = 'open'"),
        schema=S,
    )
    op.create_index(
        "uq_promises_open_invoice",
        "promises",
        ["invoice_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        schema=S,
    )
    op.create_index("ix_promises_tenant_resolved_on", "promises", ["tenant_id", "resolved_on"], schema=S)
    op.create_index("ix_promises_tenant_customer", "promises", ["tenant_id", "customer_id"], schema=S)
    op.create_table(
        "outcomes",
        _id(),
        _tenant(),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("spoke_with", sa.String(200), nullable=True),
        sa.Column("excuse", sa.String(30), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("hashtags", pg.ARRAY(sa.String(60)), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("invoice_ids", pg.ARRAY(UUID), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("promised_date", sa.Date, nullable=True),
        sa.Column("reported_date", sa.Date, nullable=True),
        sa.Column("reported_reference", sa.String(120), nullable=True),
        sa.Column("dispute_area_id", UUID, nullable=True),
        sa.Column("task_id", UUID, nullable=True),
        sa.Column("note_id", UUID, nullable=True),
        sa.Column("message_key", sa.String(120), nullable=True),
        sa.Column("message_skipped", sa.String(200), nullable=True),
        sa.Column("collector_id", UUID, nullable=True),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("recorded_by_user_id", UUID, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_outcomes"),
        sa.ForeignKeyConstraint(["customer_id"], [f"{S}.customers.id"], name="fk_outcomes_customer_id_customers"),
        schema=S,
    )
    op.create_index("ix_outcomes_tenant_recorded_at", "outcomes", ["tenant_id", "recorded_at"], schema=S)
    op.create_index("ix_outcomes_tenant_customer", "outcomes", ["tenant_id", "customer_id", "recorded_at"], schema=S)
    op.create_table(
        "notes",
        _id(),
        _tenant(),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("hashtags", pg.ARRAY(sa.String(60)), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("invoice_ids", pg.ARRAY(UUID), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("outcome_id", UUID, nullable=True),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("author_user_id", UUID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
        sa.ForeignKeyConstraint(["customer_id"], [f"{S}.customers.id"], name="fk_notes_customer_id_customers"),
        schema=S,
    )
    op.create_index("ix_notes_tenant_customer", "notes", ["tenant_id", "customer_id", "created_at"], schema=S)
    op.create_index("ix_notes_tenant_created_at", "notes", ["tenant_id", "created_at"], schema=S)
    op.create_index("ix_notes_hashtags", "notes", ["hashtags"], postgresql_using="gin", schema=S)
    op.create_table(
        "tasks",
        _id(),
        _tenant(),
        sa.Column("customer_id", UUID, nullable=True),
        sa.Column("revision", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("assignee_id", UUID, nullable=True),
        sa.Column("supervisor_id", UUID, nullable=True),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("status", sa.String(12), nullable=False, server_default=sa.text("'open'")),
        sa.Column("source", sa.String(40), nullable=False, server_default=sa.text("'manual'")),
        sa.Column("outcome_id", UUID, nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(80), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.ForeignKeyConstraint(["customer_id"], [f"{S}.customers.id"], name="fk_tasks_customer_id_customers"),
        schema=S,
    )
    op.create_index("uq_tasks_tenant_idempotency_key", "tasks", ["tenant_id", "idempotency_key"], unique=True, schema=S)
    op.create_index(
        "ix_tasks_tenant_assignee_status_due", "tasks", ["tenant_id", "assignee_id", "status", "due_date"], schema=S
    )
    op.create_index("ix_tasks_tenant_customer", "tasks", ["tenant_id", "customer_id"], schema=S)
    op.create_table(
        "timeline_entries",
        _id(),
        _tenant(),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("invoice_id", UUID, nullable=True),
        sa.Column("ref_id", UUID, nullable=True),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("data", pg.JSONB, nullable=False, server_default=sa.text("'{}'")),
        sa.Column("actor", sa.String(80), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_timeline_entries"),
        schema=S,
    )
    op.create_index(
        "ix_timeline_entries_customer", "timeline_entries", ["tenant_id", "customer_id", "occurred_at", "id"], schema=S
    )
    op.create_index(
        "ix_timeline_entries_invoice",
        "timeline_entries",
        ["tenant_id", "invoice_id", "occurred_at"],
        postgresql_where=sa.text("invoice_id IS NOT NULL"),
        schema=S,
    )
    op.create_index(
        "uq_timeline_entries_message",
        "timeline_entries",
        ["tenant_id", "ref_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'message'"),
        schema=S,
    )


def downgrade() -> None:
    drop_schema(S)
