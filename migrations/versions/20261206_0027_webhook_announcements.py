"""Receivables announces invoice status changes and promises made and kept (issue 14, the webhook catalogue), from
triggers, so that every way a status changes announces it once, in the transaction of the change.

Why triggers: an invoice's status is changed by a dozen set-based UPDATEs (a person, an outcome, payments,
credits, the ERP's bulk load, broken promises), and ``InvoiceChanged`` carries the new state only. A statement
trigger with transition tables sees the old and new rows of the whole statement: one ``INSERT ... SELECT`` per
statement writes one ``receivables.invoice_status_changed`` per changed invoice (a bulk load of 10,000 changed
invoices costs one extra statement, not 10,000). An UPDATE that changes no status writes nothing. The same for
promises: one opened is ``receivables.promise_made``, one gone from open to kept is ``receivables.promise_kept``
(broken promises keep their explicit ``receivables.promise_broken``).

The payloads carry exactly the fields of the contract classes (``shared/contracts/receivables.py``, checked by
``tests/receivables/test_sql_contracts.py``); money as text and dates as ISO, as pydantic's JSON mode writes them.
The writer may say why with ``SELECT set_config('receivables.change_reason', <reason>, true)`` before its UPDATE
(``services.receivables.events.explain_invoice_changes``): the next UPDATE of invoices takes it and clears it.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

OUTBOX = "receivables.outbox (id, tenant_id, message_type, version, consumers, payload, occurred_at)"


def _outbox_row(message_type: str, payload: str) -> str:
    return (
        f"receivables.uuid7(), n.tenant_id, '{message_type}', 1, ARRAY['webhooks']::varchar[], {payload}, "
        "clock_timestamp()"
    )


INVOICE_STATUS_CHANGED = """jsonb_build_object(
    'invoice_id', n.id, 'revision', n.revision, 'external_id', n.external_id, 'number', n.number,
    'customer_id', n.customer_id, 'customer_external_id', c.external_id, 'currency', n.currency,
    'amount', n.amount::text, 'open_amount', n.open_amount::text,
    'previous_status', o.status, 'status', n.status,
    'previous_promised_date', o.promised_date, 'promised_date', n.promised_date,
    'previous_reported_date', o.reported_date, 'reported_date', n.reported_date,
    'previous_dispute_area_id', o.dispute_area_id, 'dispute_area_id', n.dispute_area_id,
    'reason', reason)"""

PROMISE_MADE = """jsonb_build_object(
    'promise_id', n.id, 'invoice_id', i.id, 'invoice_external_id', i.external_id, 'number', i.number,
    'customer_id', i.customer_id, 'customer_external_id', c.external_id, 'outcome_id', n.outcome_id,
    'collector_id', n.collector_id, 'promised_date', n.promised_date, 'currency', n.currency,
    'promised_amount', n.amount::text, 'amount', i.amount::text, 'open_amount', i.open_amount::text)"""

PROMISE_KEPT = """jsonb_build_object(
    'promise_id', n.id, 'invoice_id', i.id, 'invoice_external_id', i.external_id, 'number', i.number,
    'customer_id', i.customer_id, 'customer_external_id', c.external_id, 'promised_date', n.promised_date,
    'kept_on', n.resolved_on, 'currency', i.currency, 'amount', i.amount::text,
    'open_amount', i.open_amount::text)"""

CUSTOMER_OF_INVOICE = "LEFT JOIN receivables.customers c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id"


def upgrade() -> None:
    op.execute(
        f"""
CREATE FUNCTION receivables.announce_invoice_status() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reason text := nullif(current_setting('receivables.change_reason', true), '');
BEGIN
    PERFORM set_config('receivables.change_reason', '', true);
    INSERT INTO {OUTBOX}
    SELECT {_outbox_row("receivables.invoice_status_changed", INVOICE_STATUS_CHANGED)}
    FROM new_rows n
    JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.id = n.id
    LEFT JOIN receivables.customers c ON c.tenant_id = n.tenant_id AND c.id = n.customer_id
    WHERE (n.status, n.promised_date, n.reported_date, n.dispute_area_id)
          IS DISTINCT FROM (o.status, o.promised_date, o.reported_date, o.dispute_area_id)
    ORDER BY n.id;
    RETURN NULL;
END $$
"""
    )
    op.execute(
        "CREATE TRIGGER announce_invoice_status AFTER UPDATE ON receivables.invoices "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION receivables.announce_invoice_status()"
    )
    op.execute(
        f"""
CREATE FUNCTION receivables.announce_promises_made() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {OUTBOX}
    SELECT {_outbox_row("receivables.promise_made", PROMISE_MADE)}
    FROM new_rows n
    JOIN receivables.invoices i ON i.tenant_id = n.tenant_id AND i.id = n.invoice_id
    {CUSTOMER_OF_INVOICE}
    WHERE n.status = 'open'
    ORDER BY n.id;
    RETURN NULL;
END $$
"""
    )
    op.execute(
        "CREATE TRIGGER announce_promises_made AFTER INSERT ON receivables.promises "
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION receivables.announce_promises_made()"
    )
    op.execute(
        f"""
CREATE FUNCTION receivables.announce_promises_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {OUTBOX}
    SELECT {_outbox_row("receivables.promise_kept", PROMISE_KEPT)}
    FROM new_rows n
    JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.id = n.id
    JOIN receivables.invoices i ON i.tenant_id = n.tenant_id AND i.id = n.invoice_id
    {CUSTOMER_OF_INVOICE}
    WHERE o.status = 'open' AND n.status = 'kept'
    ORDER BY n.id;
    RETURN NULL;
END $$
"""
    )
    op.execute(
        "CREATE TRIGGER announce_promises_kept AFTER UPDATE ON receivables.promises "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION receivables.announce_promises_kept()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER announce_promises_kept ON receivables.promises")
    op.execute("DROP TRIGGER announce_promises_made ON receivables.promises")
    op.execute("DROP TRIGGER announce_invoice_status ON receivables.invoices")
    op.execute("DROP FUNCTION receivables.announce_promises_kept()")
    op.execute("DROP FUNCTION receivables.announce_promises_made()")
    op.execute("DROP FUNCTION receivables.announce_invoice_status()")
