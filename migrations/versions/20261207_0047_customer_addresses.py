"""dunning: each customer's first valid address per channel, unless opted out (``projection.rules.first_addresses``),
kept in the projection when the customer changes. The run's plan read it from the contacts' JSON for every due
customer each run (about a second of a Monday's plan at 1M invoices). Existing rows are filled by the same rule in
SQL.

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None

S = "dunning"


def upgrade() -> None:
    op.add_column(
        "customers",
        sa.Column("addresses", pg.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        schema=S,
    )
    op.execute(
        f"""
UPDATE {S}.customers c SET addresses = coalesce((
  SELECT jsonb_object_agg(ch, address) FROM (
    SELECT DISTINCT ON (e->>'channel') e->>'channel' AS ch, e->>'address' AS address
    FROM jsonb_array_elements(c.contacts) WITH ORDINALITY AS x(e, n)
    WHERE NOT coalesce(CAST(e->>'invalid' AS boolean), false)
      AND NOT coalesce(e->>'channel' = ANY(c.opted_out_channels), false)
    ORDER BY e->>'channel', n) first_per_channel), '{{}}'::jsonb)
WHERE jsonb_array_length(c.contacts) > 0"""
    )


def downgrade() -> None:
    op.drop_column("customers", "addresses", schema=S)
