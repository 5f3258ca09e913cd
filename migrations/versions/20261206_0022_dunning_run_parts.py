"""dunning: a real run is planned into the dispatches in one statement and handed over in parts (issue 13):
runs.planned_at, dispatches.part, run_parts (one row per part, stamped when handed over)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

S = "dunning"


def upgrade() -> None:
    op.add_column("runs", sa.Column("planned_at", sa.DateTime(timezone=True), nullable=True), schema=S)
    op.add_column("dispatches", sa.Column("part", sa.SmallInteger, nullable=True), schema=S)
    op.create_index(
        "ix_dispatches_run_part",
        "dispatches",
        ["run_id", "part"],
        schema=S,
        postgresql_where=sa.text("part IS NOT NULL"),
    )
    op.create_table(
        "run_parts",
        sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("run_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("part", sa.SmallInteger, primary_key=True),
        sa.Column("communications", sa.Integer, nullable=False),
        sa.Column("handed_at", sa.DateTime(timezone=True), nullable=True),
        schema=S,
    )
    # runs planned before this migration never get parts: a resumed one is planned again (its keys skip)


def downgrade() -> None:
    op.drop_table("run_parts", schema=S)
    op.drop_index("ix_dispatches_run_part", table_name="dispatches", schema=S)
    op.drop_column("dispatches", "part", schema=S)
    op.drop_column("runs", "planned_at", schema=S)
