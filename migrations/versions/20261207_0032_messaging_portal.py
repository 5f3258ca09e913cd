"""messaging: whether the tenant's messages carry a link to the customer's own page (issue 17), as the portal's
``portal.settings_changed`` says (on until the tenant turns its portal off), and when it last said so (the newest
wins). Columns with constant defaults: adding them rewrites nothing.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tenant_settings",
        sa.Column("portal_enabled", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        schema="messaging",
    )
    op.add_column("tenant_settings", sa.Column("portal_at", sa.DateTime(timezone=True)), schema="messaging")


def downgrade() -> None:
    op.drop_column("tenant_settings", "portal_at", schema="messaging")
    op.drop_column("tenant_settings", "portal_enabled", schema="messaging")
