"""JSON payloads compress with lz4 instead of pglz (issue 13): a real run at a million invoices writes some 460 MB
of messages into dunning's outbox, and pglz compresses at a few tens of MB/s (seconds of the database's CPU per
run); lz4 does it about ten times faster at a similar ratio. Applies to values written from now on; old values
stay readable as they are.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

COLUMNS = [
    *((schema, "outbox", "payload") for schema in ("gateway", "receivables", "dunning", "messaging", "alarms")),
    ("messaging", "message_contents", "payload"),
]


def upgrade() -> None:
    # a server built without lz4 keeps pglz: slower, not wrong
    for schema, table, column in COLUMNS:
        op.execute(
            f"""DO $$ BEGIN
                  ALTER TABLE {schema}.{table} ALTER COLUMN {column} SET COMPRESSION lz4;
                EXCEPTION WHEN feature_not_supported THEN
                  RAISE NOTICE 'lz4 not supported by this server: %.% keeps pglz', '{table}', '{column}';
                END $$"""
        )


def downgrade() -> None:
    for schema, table, column in COLUMNS:
        op.execute(f"ALTER TABLE {schema}.{table} ALTER COLUMN {column} SET COMPRESSION pglz")
