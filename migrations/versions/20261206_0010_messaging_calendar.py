"""messaging: the tenant's holiday subdivision and company holidays (dunning.calendar_changed), so deferred messages
keep off them; filled once from dunning's settings, which announce every later change

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

S = "messaging"


def upgrade() -> None:
    op.add_column("tenant_settings", sa.Column("holiday_subdivision", sa.String(10)), schema=S)
    op.add_column(
        "tenant_settings",
        sa.Column("company_holidays", pg.ARRAY(sa.Date), nullable=False, server_default=sa.text("'{}'::date[]")),
        schema=S,
    )
    op.add_column("tenant_settings", sa.Column("calendar_at", sa.DateTime(timezone=True)), schema=S)
    # What dunning's settings hold today; '-infinity' lets any announcement win over this copy.
    op.execute(
        """
        INSERT INTO messaging.tenant_settings (tenant_id, holiday_subdivision, company_holidays, calendar_at)
        SELECT tenant_id, holiday_subdivision, extra_holidays, '-infinity'
        FROM dunning.tenants
        WHERE holiday_subdivision IS NOT NULL OR cardinality(extra_holidays) > 0
        ON CONFLICT (tenant_id) DO UPDATE SET holiday_subdivision = excluded.holiday_subdivision,
            company_holidays = excluded.company_holidays, calendar_at = excluded.calendar_at
        """
    )


def downgrade() -> None:
    for column in ("calendar_at", "company_holidays", "holiday_subdivision"):
        op.drop_column("tenant_settings", column, schema=S)
