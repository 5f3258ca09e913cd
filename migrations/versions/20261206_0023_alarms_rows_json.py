"""alarms: a digest's rows (and a run's staged rows) are stored as ``json``, not ``jsonb``: they are written once and
only read back whole, and building them as json text costs a fraction of decoding and re-encoding every row as
jsonb (the heavy mix's real run, issue 13); lz4 compression is kept

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

S = "alarms"
TABLES = ("digests", "digest_staging")


def _rows_type(kind: str) -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {S}.{table} ALTER COLUMN rows TYPE {kind} USING rows::{kind}")
    op.execute(
        "DO $$ BEGIN "
        + "".join(f"ALTER TABLE {S}.{table} ALTER COLUMN rows SET COMPRESSION lz4; " for table in TABLES)
        + "EXCEPTION WHEN feature_not_supported THEN NULL; END $$"
    )


def upgrade() -> None:
    _rows_type("json")


def downgrade() -> None:
    _rows_type("jsonb")
