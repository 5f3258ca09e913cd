"""dunning: a dry run is computed by the worker and polled like a real run (issue 13, point 6): runs.plan_limit and
runs.plan (the shown entries, stored once computed); the index of unfinished runs covers dry runs too (the sweeper
re-drives a dry run whose job was lost)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

S = "dunning"


def upgrade() -> None:
    op.add_column("runs", sa.Column("plan_limit", sa.Integer, nullable=True), schema=S)
    op.add_column("runs", sa.Column("plan", JSONB, nullable=True), schema=S)
    op.drop_index("ix_runs_unfinished", table_name="runs", schema=S)
    op.create_index(
        "ix_runs_unfinished", "runs", ["status"], schema=S, postgresql_where=sa.text("status IN ('queued', 'running')")
    )


def downgrade() -> None:
    op.drop_index("ix_runs_unfinished", table_name="runs", schema=S)
    op.create_index(
        "ix_runs_unfinished",
        "runs",
        ["status"],
        schema=S,
        postgresql_where=sa.text("status IN ('queued', 'running') AND NOT dry_run"),
    )
    op.drop_column("runs", "plan", schema=S)
    op.drop_column("runs", "plan_limit", schema=S)
