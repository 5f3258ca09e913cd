"""webhooks: schema, outbox, inbox; endpoints, their signing secrets, events, deliveries (one per event and
endpoint), the attempts log, per-tenant settings (issue 14). Keys lead with tenant_id (as 0021 made them).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from migrations.helpers import create_schema_with_outbox_and_inbox, drop_schema, timestamps

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

S = "webhooks"
UUID = pg.UUID(as_uuid=True)
TZ = sa.DateTime(timezone=True)


def _now() -> sa.TextClause:
    return sa.text("now()")


def _parent(name: str, column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], [f"{S}.{table}.tenant_id", f"{S}.{table}.id"], name=name, ondelete="CASCADE"
    )


def upgrade() -> None:
    create_schema_with_outbox_and_inbox(S)
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("allow_private_urls", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("disable_after_days", sa.SmallInteger, nullable=False, server_default=sa.text("5")),
        sa.Column("updated_at", TZ, nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_settings"),
        schema=S,
    )
    op.create_table(
        "endpoints",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("event_types", pg.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.Column("disabled_at", TZ, nullable=True),
        sa.Column("failing_since", TZ, nullable=True),
        sa.Column("last_success_at", TZ, nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_endpoints"),
        schema=S,
    )
    op.create_index("ix_endpoints_id", "endpoints", ["id"], schema=S)
    op.create_table(
        "secrets",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("endpoint_id", UUID, nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=_now()),
        sa.Column("expires_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_secrets"),
        _parent("fk_secrets_endpoint_id_endpoints", "endpoint_id", "endpoints"),
        schema=S,
    )
    op.create_index("ix_secrets_id", "secrets", ["id"], schema=S)
    op.create_index("ix_secrets_tenant_id_endpoint_id", "secrets", ["tenant_id", "endpoint_id"], schema=S)
    op.create_table(
        "events",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("data", pg.JSONB, nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name="pk_events"),
        schema=S,
    )
    op.create_index("ix_events_tenant_id_occurred_at", "events", ["tenant_id", "occurred_at"], schema=S)
    op.create_table(
        "deliveries",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("endpoint_id", UUID, nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("state", sa.String(12), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", TZ, nullable=True, server_default=_now()),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("replay", sa.Boolean, nullable=False, server_default=sa.text("false")),
        *timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_deliveries"),
        _parent("fk_deliveries_endpoint_id_endpoints", "endpoint_id", "endpoints"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            [f"{S}.events.tenant_id", f"{S}.events.event_id"],
            name="fk_deliveries_event_id_events",
        ),
        sa.CheckConstraint("state IN ('pending', 'succeeded', 'failed', 'abandoned')", name="state"),
        schema=S,
    )
    op.create_index("ix_deliveries_id", "deliveries", ["id"], schema=S)
    # the worker's claim: due pending deliveries, across tenants
    op.create_index(
        "ix_deliveries_due", "deliveries", ["next_attempt_at"], schema=S, postgresql_where=sa.text("state = 'pending'")
    )
    # the delivery log of an endpoint, newest first
    op.create_index(
        "ix_deliveries_tenant_id_endpoint_id_created_at",
        "deliveries",
        ["tenant_id", "endpoint_id", "created_at"],
        schema=S,
    )
    op.create_index("ix_deliveries_tenant_id_event_id", "deliveries", ["tenant_id", "event_id"], schema=S)
    op.create_table(
        "attempts",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("delivery_id", UUID, nullable=False),
        sa.Column("at", TZ, nullable=False, server_default=_now()),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("response_excerpt", sa.String(1024), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_attempts"),
        _parent("fk_attempts_delivery_id_deliveries", "delivery_id", "deliveries"),
        schema=S,
    )
    op.create_index("ix_attempts_id", "attempts", ["id"], schema=S)
    op.create_index("ix_attempts_tenant_id_delivery_id_at", "attempts", ["tenant_id", "delivery_id", "at"], schema=S)


def downgrade() -> None:
    drop_schema(S)
