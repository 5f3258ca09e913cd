"""dunning: strategy experiments (issue 19, point 3). An experiment compares variant strategies on the customers the
normal selection gives its scope strategy; each customer's variant is held in ``experiment_assignments`` (stable
while the experiment runs; after a stop with a chosen variant, everyone follows the chosen strategy).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

S = "dunning"


def _uuid(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, pg.UUID(as_uuid=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "experiments",
        _uuid("tenant_id"),
        _uuid("id"),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        _uuid("scope_strategy_id"),
        sa.Column("variants", pg.JSONB, nullable=False),
        sa.Column("stratify_by", sa.String(24), nullable=False),
        sa.Column("started_on", sa.Date, nullable=True),
        sa.Column("ends_on", sa.Date, nullable=True),
        sa.Column("window_days", sa.Integer, nullable=False),
        sa.Column("chosen_variant", sa.String(40), nullable=True),
        sa.Column("stopped_on", sa.Date, nullable=True),
        sa.Column("created_by", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_experiments"),
        schema=S,
    )
    op.create_index("ix_experiments_id", "experiments", ["id"], schema=S)
    op.create_index(
        "uq_experiments_running_scope",
        "experiments",
        ["tenant_id", "scope_strategy_id"],
        unique=True,
        postgresql_where=sa.text("status = 'running'"),
        schema=S,
    )
    op.create_table(
        "experiment_assignments",
        _uuid("tenant_id"),
        _uuid("experiment_id"),
        _uuid("customer_id"),
        sa.Column("variant_key", sa.String(40), nullable=False),
        _uuid("strategy_id"),
        sa.Column("stratum", sa.String(120), nullable=False),
        sa.Column("assigned_on", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "experiment_id", "customer_id", name="pk_experiment_assignments"),
        schema=S,
    )
    op.create_index(
        "ix_experiment_assignments_customer", "experiment_assignments", ["tenant_id", "customer_id"], schema=S
    )


def downgrade() -> None:
    op.drop_table("experiment_assignments", schema=S)
    op.drop_table("experiments", schema=S)
