"""dunning: an invoice's step awaiting messaging's answer moves from three columns of the invoice to a narrow table
of its own, ``dunning.pending_steps`` (one row per invoice with a step pending). A run marked each invoice it
reminded by updating its wide row (every index written unless the page had room: a catch-up run marks the whole
portfolio); a row here is a small insert, deleted when the step is done or failed. Existing marks move over.

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0049"
down_revision = "0048"
branch_labels = None
depends_on = None

S = "dunning"


def upgrade() -> None:
    op.create_table(
        "pending_steps",
        sa.Column("tenant_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("invoice_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("step_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("accepted", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("tenant_id", "invoice_id", name="pk_pending_steps"),
        schema=S,
    )
    op.execute(
        f"""
INSERT INTO {S}.pending_steps (tenant_id, invoice_id, step_id, since, accepted)
SELECT tenant_id, id, pending_step_id, coalesce(pending_since, now()), pending_accepted
FROM {S}.invoices WHERE pending_step_id IS NOT NULL"""
    )
    for column in ("pending_step_id", "pending_since", "pending_accepted"):
        op.drop_column("invoices", column, schema=S)


def downgrade() -> None:
    op.add_column("invoices", sa.Column("pending_step_id", pg.UUID(as_uuid=True), nullable=True), schema=S)
    op.add_column("invoices", sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True), schema=S)
    op.add_column(
        "invoices",
        sa.Column("pending_accepted", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        schema=S,
    )
    op.execute(
        f"""
UPDATE {S}.invoices i SET pending_step_id = p.step_id, pending_since = p.since, pending_accepted = p.accepted
FROM {S}.pending_steps p WHERE p.tenant_id = i.tenant_id AND p.invoice_id = i.id"""
    )
    op.drop_table("pending_steps", schema=S)
