"""alarms: the tenant's holiday subdivision and company holidays (dunning.calendar_changed), so digests keep to
business days; filled once from dunning's settings, which announce every later change

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

S = "alarms"


def upgrade() -> None:
    op.create_table(
        "tenant_calendars",
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("holiday_subdivision", sa.String(10), nullable=True),
        sa.Column("company_holidays", pg.ARRAY(sa.Date), nullable=False, server_default=sa.text("'{}'::date[]")),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_calendars"),
        schema=S,
    )
    # What dunning's settings hold today; '-infinity' lets any announcement win over this copy.
    op.execute(
        """
        INSERT INTO alarms.tenant_calendars (tenant_id, holiday_subdivision, company_holidays, announced_at)
        SELECT tenant_id, holiday_subdivision, extra_holidays, '-infinity'
        FROM dunning.tenants
        WHERE holiday_subdivision IS NOT NULL OR cardinality(extra_holidays) > 0
        """
    )


def downgrade() -> None:
    op.drop_table("tenant_calendars", schema=S)
