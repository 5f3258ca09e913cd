"""Test clocks (issue 15): a tenant may be a sandbox, and a sandbox tenant may have a test clock.

``gateway.tenants`` owns both facts; each service's tenants projection keeps them from ``gateway.tenant_changed``
(receivables, dunning, messaging, alarms), so that every rule builds the tenant's ``shared.clock.TenantClock``
from its own row. ``test_clock`` NULL means the wall clock.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    ("gateway", "tenants"),
    ("receivables", "tenants"),
    ("dunning", "tenants"),
    ("messaging", "tenant_settings"),
    ("alarms", "tenants"),
)


def upgrade() -> None:
    for schema, table in TENANT_TABLES:
        op.add_column(table, sa.Column("sandbox", sa.Boolean, nullable=False, server_default=sa.false()), schema=schema)
        op.add_column(table, sa.Column("test_clock", sa.DateTime(timezone=True), nullable=True), schema=schema)
    op.create_check_constraint(
        "ck_tenants_test_clock_sandbox", "tenants", "sandbox OR test_clock IS NULL", schema="gateway"
    )


def downgrade() -> None:
    op.drop_constraint("ck_tenants_test_clock_sandbox", "tenants", schema="gateway", type_="check")
    for schema, table in TENANT_TABLES:
        op.drop_column(table, "test_clock", schema=schema)
        op.drop_column(table, "sandbox", schema=schema)
