"""Back-dated records (issue 15): outcomes, notes, tasks and promises carry ``occurred_at``, invoices ``entered_at``.

A collector logging yesterday's call records it as yesterday: ``occurred_at`` is when the contact, note or task
happened on the tenant's calendar (its clock: a sandbox tenant's test clock), which every rule uses (the promise's
horizon, the follow-up's due date, the KPIs' periods, the timeline's order); ``recorded_at``/``created_at`` stay
the system's fact of when the row was written. An invoice's ``entered_at`` is when it entered the tenant's
collections (the tenant's clock when it was loaded), so that the timeline of a replayed calendar keeps its order;
invoices loaded before this revision have none and fall back to ``created_at`` (no rewrite of the invoices table).
A credit note's application to an invoice keeps ``applied_on``, the tenant's day (the statement's date of the line;
before this revision, ``created_at``'s date).

Existing rows take their written moment as their ``occurred_at`` (backfilled before NOT NULL).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

S = "receivables"
# table -> the column that says when existing rows happened
BACKDATED = {"outcomes": "recorded_at", "notes": "created_at", "tasks": "created_at", "promises": "created_at"}


def upgrade() -> None:
    for table, written in BACKDATED.items():
        op.add_column(table, sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True), schema=S)
        op.execute(f"UPDATE {S}.{table} SET occurred_at = {written}")
        op.alter_column(table, "occurred_at", nullable=False, server_default=sa.func.now(), schema=S)
    op.create_index("ix_outcomes_tenant_occurred_at", "outcomes", ["tenant_id", "occurred_at"], schema=S)
    op.create_index("ix_notes_tenant_occurred_at", "notes", ["tenant_id", "occurred_at"], schema=S)
    op.add_column("invoices", sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True), schema=S)
    op.add_column("credit_applications", sa.Column("applied_on", sa.Date(), nullable=True), schema=S)


def downgrade() -> None:
    op.drop_column("credit_applications", "applied_on", schema=S)
    op.drop_column("invoices", "entered_at", schema=S)
    op.drop_index("ix_notes_tenant_occurred_at", table_name="notes", schema=S)
    op.drop_index("ix_outcomes_tenant_occurred_at", table_name="outcomes", schema=S)
    for table in BACKDATED:
        op.drop_column(table, "occurred_at", schema=S)
