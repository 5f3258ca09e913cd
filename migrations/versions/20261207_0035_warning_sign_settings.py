"""receivables: the thresholds of the warning signs (issue 18, seed 001) as the tenant's settings, and the local day
of the tenant's last daily refresh; dunning: the computed risk level in its customers' projection, for strategy
selection rules. Columns with constant defaults: adding them rewrites nothing.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

S = "receivables"
THRESHOLDS = {
    "signs_recent_payments": 3,
    "signs_days_late_increase": 10,
    "signs_small_before_large": 2,
    "signs_broken_promises": 1,
    "signs_bad_contacts": 1,
    "signs_overdue_growth_pct": 20,
    "signs_for_high_risk": 2,
}


def upgrade() -> None:
    for name, default in THRESHOLDS.items():
        op.add_column(
            "tenants", sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text(str(default))), schema=S
        )
    op.add_column("tenants", sa.Column("signs_refreshed_on", sa.Date(), nullable=True), schema=S)
    op.add_column("customers", sa.Column("computed_risk_level", sa.String(10), nullable=True), schema="dunning")


def downgrade() -> None:
    op.drop_column("customers", "computed_risk_level", schema="dunning")
    op.drop_column("tenants", "signs_refreshed_on", schema=S)
    for name in reversed(THRESHOLDS):
        op.drop_column("tenants", name, schema=S)
