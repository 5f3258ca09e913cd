"""alarms: the manager's alarms, the weekly warning signs and the inbox (issue 18). The settings of the new alarms
(the workload's spread, the contacts planned per day, the overdue thresholds per currency: constant defaults, adding
them rewrites nothing); the projection of tasks, contacts and warning signs; the crossings of the overdue threshold
already told; the inbox of each user (the digests and the admins' alerts sent to them).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

S = "alarms"


def _uuid(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, pg.UUID(as_uuid=True), nullable=nullable)


def upgrade() -> None:
    op.add_column(
        "alarm_settings",
        sa.Column("spread_percent", sa.SmallInteger, nullable=False, server_default=sa.text("50")),
        schema=S,
    )
    op.add_column(
        "alarm_settings",
        sa.Column("contacts_per_day", sa.SmallInteger, nullable=False, server_default=sa.text("20")),
        schema=S,
    )
    op.add_column(
        "alarm_settings",
        sa.Column("thresholds", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        schema=S,
    )
    op.create_table(
        "tasks",
        _uuid("tenant_id"),
        _uuid("id"),
        sa.Column("revision", sa.Integer, nullable=False),
        _uuid("customer_id", nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        _uuid("assignee_id", nullable=True),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_tasks"),
        schema=S,
    )
    op.create_index(
        "ix_tasks_open_due",
        "tasks",
        ["tenant_id", "due_date"],
        schema=S,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "contacts",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("user_id", nullable=True),
        _uuid("customer_id"),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_contacts"),
        schema=S,
    )
    op.create_index("ix_contacts_tenant_id_contacted_at", "contacts", ["tenant_id", "contacted_at"], schema=S)
    op.create_table(
        "customer_signs",
        _uuid("tenant_id"),
        _uuid("customer_id"),
        _uuid("collector_id", nullable=True),
        sa.Column("risk_level", sa.String(10), nullable=True),
        sa.Column("risk_reasons", pg.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
        sa.Column("signs", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", name="pk_customer_signs"),
        schema=S,
    )
    op.create_table(
        "threshold_crossings",
        _uuid("tenant_id"),
        _uuid("customer_id"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("crossed_on", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", "currency", name="pk_threshold_crossings"),
        schema=S,
    )
    op.create_table(
        "inbox_items",
        _uuid("id"),
        _uuid("tenant_id"),
        _uuid("user_id"),
        sa.Column("kind", sa.String(20), nullable=False),
        _uuid("source_id"),
        sa.Column("alarm", sa.String(40), nullable=True),
        sa.Column("period", sa.String(10), nullable=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("lines", pg.JSONB, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_inbox_items"),
        schema=S,
    )
    op.create_index("ix_inbox_items_id", "inbox_items", ["id"], schema=S)
    op.create_index("ix_inbox_items_user_created_at", "inbox_items", ["tenant_id", "user_id", "created_at"], schema=S)
    op.create_index(
        "uq_inbox_items_source", "inbox_items", ["tenant_id", "user_id", "kind", "source_id"], unique=True, schema=S
    )


def downgrade() -> None:
    for table in ("inbox_items", "threshold_crossings", "customer_signs", "contacts", "tasks"):
        op.drop_table(table, schema=S)
    for column in ("thresholds", "contacts_per_day", "spread_percent"):
        op.drop_column("alarm_settings", column, schema=S)
