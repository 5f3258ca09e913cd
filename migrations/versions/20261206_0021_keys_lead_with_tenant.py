"""every key leads with tenant_id (issue 13 point 4): primary keys (tenant_id, id), foreign keys (tenant_id, x_id)
referencing them, the unique keys that did not lead with it; messaging.message_contents gets its tenant_id. So the
per-tenant tables can be distributed by tenant_id (Citus, docs/scaling.md) as they are.
tests/platform/test_keys_lead_with_tenant.py holds the keys that stay global on purpose, and why.

Each table's primary key is swapped in one ALTER TABLE (one index build, under an exclusive lock on that table);
the foreign keys are dropped first and checked again at the end, so a row whose tenant differs from its parent's
stops the migration rather than passing silently.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# table -> (old primary key name, old primary key columns); the new key is pk_<table> on tenant_id + the old columns,
# and the old columns stay as a plain index (ix_<table>_<columns>): rows are still found by their id alone.
PRIMARY_KEYS = {
    "gateway.users": ("pk_users", "id"),
    "gateway.api_keys": ("pk_api_keys", "id"),
    "gateway.refresh_tokens": ("pk_refresh_tokens", "id"),
    "receivables.customers": ("pk_customers", "id"),
    "receivables.people": ("pk_people", "id"),
    "receivables.dispute_areas": ("pk_dispute_areas", "id"),
    "receivables.invoices": ("pk_invoices", "id"),
    "receivables.payments": ("pk_payments", "id"),
    "receivables.payment_allocations": ("pk_payment_allocations", "id"),
    "receivables.credit_applications": ("pk_credit_applications", "id"),
    "receivables.promises": ("pk_promises", "id"),
    "receivables.outcomes": ("pk_outcomes", "id"),
    "receivables.notes": ("pk_notes", "id"),
    "receivables.tasks": ("pk_tasks", "id"),
    "receivables.timeline_entries": ("pk_timeline_entries", "id"),
    "dunning.strategies": ("pk_strategies", "id"),
    "dunning.strategy_versions": ("pk_strategy_versions", "strategy_id, version"),
    "dunning.runs": ("pk_runs", "id"),
    "dunning.dispatches": ("pk_dispatches", "id"),
    "dunning.action_items": ("pk_action_items", "id"),
    "messaging.messages": ("pk_messages", "id"),
    "messaging.message_contents": ("pk_message_contents", "message_id"),
    "messaging.attempts": ("pk_attempts", "message_id, number"),
    "messaging.replies": ("pk_replies", "id"),
    "messaging.suppressions": ("pk_suppressions", "id"),
    "messaging.templates": ("pk_templates", "id"),
    "messaging.template_partials": ("template_partials_pkey", "id"),
    "alarms.runs": ("pk_runs", "id"),
    "alarms.digests": ("pk_digests", "id"),
    "alarms.login_alerts": ("pk_login_alerts", "id"),
}

# (table, name, column, referenced table, ON DELETE); the name stays, the key becomes (tenant_id, column).
FOREIGN_KEYS = [
    ("gateway.refresh_tokens", "fk_refresh_tokens_user_id_users", "user_id", "gateway.users", ""),
    ("receivables.people", "fk_people_supervisor_id_people", "supervisor_id", "receivables.people", ""),
    ("receivables.dispute_areas", "fk_dispute_areas_responsible_id_people", "responsible_id", "receivables.people", ""),
    ("receivables.payments", "fk_payments_customer_id_customers", "customer_id", "receivables.customers", ""),
    ("receivables.payment_allocations", "fk_payment_allocations_payment_id_payments", "payment_id",
     "receivables.payments", ""),
    ("receivables.payment_allocations", "fk_payment_allocations_invoice_id_invoices", "invoice_id",
     "receivables.invoices", ""),
    ("receivables.promises", "fk_promises_customer_id_customers", "customer_id", "receivables.customers", ""),
    ("receivables.promises", "fk_promises_invoice_id_invoices", "invoice_id", "receivables.invoices", ""),
    ("receivables.outcomes", "fk_outcomes_customer_id_customers", "customer_id", "receivables.customers", ""),
    ("receivables.notes", "fk_notes_customer_id_customers", "customer_id", "receivables.customers", ""),
    ("receivables.tasks", "fk_tasks_customer_id_customers", "customer_id", "receivables.customers", ""),
    ("messaging.message_contents", "fk_message_contents_message_id_messages", "message_id", "messaging.messages",
     " ON DELETE CASCADE"),
    ("messaging.attempts", "fk_attempts_message_id_messages", "message_id", "messaging.messages", " ON DELETE CASCADE"),
]  # fmt: skip


def _new_key(table: str) -> str:
    return "pk_" + table.split(".")[1]


def _old_key_index(table: str, columns: str) -> str:
    return f"ix_{table.split('.')[1]}_{columns.replace(', ', '_')}"


PROMISES_OPEN = "CREATE UNIQUE INDEX uq_promises_open_invoice ON receivables.promises ({}) WHERE status = 'open'"


def upgrade() -> None:
    for table, name, _, _, _ in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    # The only table without its tenant: each message's content takes its message's.
    op.execute("ALTER TABLE messaging.message_contents ADD COLUMN tenant_id uuid")
    op.execute(
        "UPDATE messaging.message_contents c SET tenant_id = m.tenant_id FROM messaging.messages m "
        "WHERE m.id = c.message_id"
    )
    op.execute("ALTER TABLE messaging.message_contents ALTER COLUMN tenant_id SET NOT NULL")
    for table, (old, columns) in PRIMARY_KEYS.items():
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {old}, "
            f"ADD CONSTRAINT {_new_key(table)} PRIMARY KEY (tenant_id, {columns})"
        )
        op.execute(f"CREATE INDEX {_old_key_index(table, columns)} ON {table} ({columns})")
    op.execute(
        "ALTER TABLE dunning.action_items DROP CONSTRAINT uq_action_items_dispatch_id, "
        "ADD CONSTRAINT uq_action_items_tenant_id_dispatch_id UNIQUE (tenant_id, dispatch_id)"
    )
    op.execute("DROP INDEX receivables.uq_promises_open_invoice")
    op.execute(PROMISES_OPEN.format("tenant_id, invoice_id"))
    for table, name, column, referenced, on_delete in FOREIGN_KEYS:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (tenant_id, {column}) "
            f"REFERENCES {referenced} (tenant_id, id){on_delete}"
        )


def downgrade() -> None:
    for table, name, _, _, _ in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    op.execute("DROP INDEX receivables.uq_promises_open_invoice")
    op.execute(PROMISES_OPEN.format("invoice_id"))
    op.execute(
        "ALTER TABLE dunning.action_items DROP CONSTRAINT uq_action_items_tenant_id_dispatch_id, "
        "ADD CONSTRAINT uq_action_items_dispatch_id UNIQUE (dispatch_id)"
    )
    for table, (old, columns) in PRIMARY_KEYS.items():
        op.execute(f"DROP INDEX {table.split('.')[0]}.{_old_key_index(table, columns)}")
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {_new_key(table)}, ADD CONSTRAINT {old} PRIMARY KEY ({columns})"
        )
    op.execute("ALTER TABLE messaging.message_contents DROP COLUMN tenant_id")
    for table, name, column, referenced, on_delete in FOREIGN_KEYS:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {referenced} (id){on_delete}"
        )
