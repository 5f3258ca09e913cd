"""Building blocks every service schema has: the schema itself, its outbox and its inbox.

Frozen on purpose: a change to these tables is a new migration, never an edit here.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg


def create_schema_with_outbox_and_inbox(schema: str) -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("message_type", sa.String(120), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("consumers", pg.ARRAY(sa.String(40)), nullable=False),
        sa.Column("payload", pg.JSONB, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sa.UniqueConstraint("id", name="uq_outbox_id"),
        schema=schema,
    )
    op.create_index("ix_outbox_seq", "outbox", ["seq"], schema=schema, postgresql_where=sa.text("published_at IS NULL"))
    op.create_table(
        "inbox",
        sa.Column("message_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("message_type", sa.String(120), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("envelope", pg.JSONB, nullable=True),
        sa.PrimaryKeyConstraint("message_id", name="pk_inbox"),
        schema=schema,
    )


def drop_schema(schema: str) -> None:
    op.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    ]
