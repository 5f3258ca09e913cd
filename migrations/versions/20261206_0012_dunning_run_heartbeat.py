"""dunning: runs.heartbeat_at, stamped while a worker executes a run, so a run whose worker died is resumed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

S = "dunning"


def upgrade() -> None:
    op.add_column("runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True), schema=S)
    # the sweeper looks only at runs waiting or in progress
    op.create_index(
        "ix_runs_unfinished",
        "runs",
        ["status"],
        schema=S,
        postgresql_where=sa.text("status IN ('queued', 'running') AND NOT dry_run"),
    )


def downgrade() -> None:
    op.drop_index("ix_runs_unfinished", table_name="runs", schema=S)
    op.drop_column("runs", "heartbeat_at", schema=S)
