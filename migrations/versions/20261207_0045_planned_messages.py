"""dunning: a real run's planned communications wait in ``planned_messages`` until their part is handed over
(issue 19's bench line, issue 13). The plan copied every communication into the dispatches and their seven indexes
on one core (0.55-0.75 s of the serial plan at 1M); each part now writes its own dispatches, in parallel with the
other parts, and fixes their tone from the positions it reads anyway (the plan's oldest debt per customer was
another scan of the tenant's invoices). Only the key: nothing else looks a planned message up.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None

S = "dunning"


def upgrade() -> None:
    uuids = pg.ARRAY(pg.UUID(as_uuid=True))
    op.create_table(
        "planned_messages",
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("run_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("part", sa.SmallInteger(), nullable=False),
        sa.Column("id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("customer_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(254), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("tone", sa.SmallInteger(), nullable=False),
        sa.Column("aged", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(20), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("strategy_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("invoice_ids", uuids, nullable=False),
        sa.Column("step_ids", uuids, nullable=False),
        sa.Column("step_keys", pg.ARRAY(sa.Text()), nullable=False),
        sa.Column("action_invoice_ids", uuids, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "run_id", "part", "id", name="pk_planned_messages"),
        schema=S,
    )
    # a run being handed over across the upgrade: its parts not handed yet move here (their tone already final)
    op.execute(
        f"""
WITH moved AS (
  DELETE FROM {S}.dispatches d USING {S}.run_parts p
  WHERE p.handed_at IS NULL AND d.tenant_id = p.tenant_id AND d.run_id = p.run_id AND d.part = p.part
    AND d.channel IS NOT NULL
  RETURNING d.*
)
INSERT INTO {S}.planned_messages (tenant_id, run_id, part, id, customer_id, as_of, idempotency_key, channel, address,
  kind, tone, aged, action, state, strategy_id, invoice_ids, step_ids, step_keys, action_invoice_ids)
SELECT tenant_id, run_id, part, id, customer_id, as_of, idempotency_key, channel, address, kind, tone, false, action,
  state, strategy_id, invoice_ids, step_ids, step_keys, action_invoice_ids FROM moved"""
    )


def downgrade() -> None:
    op.execute(
        f"""
INSERT INTO {S}.dispatches (tenant_id, run_id, part, id, customer_id, as_of, idempotency_key, channel, address, kind,
  tone, action, state, strategy_id, invoice_ids, step_ids, step_keys, action_invoice_ids)
SELECT tenant_id, run_id, part, id, customer_id, as_of, idempotency_key, channel, address, kind, tone, action, state,
  strategy_id, invoice_ids, step_ids, step_keys, action_invoice_ids FROM {S}.planned_messages
ON CONFLICT DO NOTHING"""
    )
    op.drop_table("planned_messages", schema=S)
