"""dunning: late charges (issue 19). A strategy's fee rules (``fees``: NULL takes the tenant's defaults), the
tenant's default fee rules and legal maximum annual rate, and the charges each run assessed (``charges``: one per
idempotency key (invoice, rule, period), its status kept from receivables' ``ChargeChanged``).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

S = "dunning"


def _uuid(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, pg.UUID(as_uuid=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("strategies", sa.Column("fees", pg.JSONB, nullable=True), schema=S)
    op.add_column(
        "tenants",
        sa.Column("fee_rules", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        schema=S,
    )
    op.add_column("tenants", sa.Column("legal_max_annual_rate", sa.Numeric, nullable=True), schema=S)
    op.create_table(
        "charges",
        _uuid("tenant_id"),
        _uuid("id"),
        sa.Column("key", sa.String(200), nullable=False),
        _uuid("invoice_id"),
        _uuid("customer_id"),
        sa.Column("invoice_number", sa.String(60), nullable=False),
        _uuid("strategy_id", nullable=True),
        sa.Column("rule_key", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("charged_on", sa.Date, nullable=False),
        _uuid("run_id", nullable=True),
        sa.Column("status", sa.String(10), nullable=False, server_default=sa.text("'open'")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_charges"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_charges_tenant_id_key"),
        schema=S,
    )
    op.create_index("ix_charges_tenant_id_invoice_id", "charges", ["tenant_id", "invoice_id"], schema=S)
    op.create_index(
        "ix_charges_open_customer",
        "charges",
        ["tenant_id", "customer_id"],
        schema=S,
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_table("charges", schema=S)
    op.drop_column("tenants", "legal_max_annual_rate", schema=S)
    op.drop_column("tenants", "fee_rules", schema=S)
    op.drop_column("strategies", "fees", schema=S)
