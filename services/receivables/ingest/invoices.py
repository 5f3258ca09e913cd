"""Bulk invoice upsert: COPY the batch into a staging table, then one statement decides, per row, insert /
update / nothing, and writes the announcements, the promise resolutions and the history in the same statement,
and reports the rows naming no customer (or a deleted one).

The changes are announced by one deferred outbox row per kind (``events.announce_invoices_later``): the relay
sends it as one ``InvoicesChanged`` with the snapshots of the batch's invoices, which each consumer applies in
one statement; the request does not build 10,000 payloads, nor the consumers take 10,000 messages.
Same batch twice: every row compares equal to what is stored, nothing is written, nothing is announced.
A row with an older ``version`` than the stored one is ignored; a newer or unversioned row with other content
updates the invoice. The status follows ``invoices.rules.after_ingest``.
"""

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import OUTBOX_COLUMNS, announce_invoices_later, explain_invoice_changes
from services.receivables.ingest.invoice_rows import Line
from services.receivables.ingest.schemas import RejectedRow
from services.receivables.ingest.staging import copy_lines, refresh_statistics, stored_rows
from services.receivables.invoices.rules import after_ingest_sql
from services.receivables.payments.credits import apply_credits
from services.receivables.tenant_settings.repository import TenantProfile
from shared.ids import uuid7_texts

STAGING = "ingest_invoices"
COLUMNS = (
    ("idx", "integer"),
    ("external_id", "text"),
    ("customer_external_id", "text"),
    ("number", "text"),
    ("kind", "text"),
    ("currency", "text"),
    ("amount", "numeric"),
    ("open_amount", "numeric"),
    ("issue_date", "date"),
    ("due_date", "date"),
    ("document_url", "text"),
    ("requested", "text"),
    ("version", "bigint"),
    ("applies_to", "varchar(100)[]"),  # a credit note: the invoices it names
    ("new_id", "uuid"),  # the id the invoice gets if it is new (minted in Python: shared.ids)
)
CLOSED = "('paid', 'written_off', 'void')"
CONTENT = (
    "customer_id",
    "number",
    "kind",
    "currency",
    "amount",
    "open_amount",
    "issue_date",
    "due_date",
    "document_url",
    "applies_to",
)

TENANT = "CAST(:tenant_id AS uuid)"
INVOICE_LOOKED = "i.id, i.status, i.amount, i.open_amount, i.due_date"
NEW_STATUS = after_ingest_sql("i.status", "m.requested", "m.open_amount")
# The content compared to decide "unchanged": the ERP's fields and the status they lead to.
DIFFERS = (
    f"({', '.join(f'i.{c}' for c in CONTENT)}, i.status) IS DISTINCT FROM "
    f"({', '.join(f'm.{c}' for c in CONTENT)}, {NEW_STATUS})"
)
NEWER = "(m.version IS NULL OR i.source_version IS NULL OR m.version > i.source_version)"

UPSERT = text(
    f"""
WITH customer_rows AS MATERIALIZED (
    {stored_rows("receivables.customers", "c", "customer_external_ids", "c.id, c.deleted")}
),
invoice_rows AS MATERIALIZED (
    {stored_rows("receivables.invoices", "i", "external_ids", INVOICE_LOOKED)}
),
looked AS (
    SELECT s.*, c.id AS customer_id, c.deleted AS customer_deleted, c.id IS NOT NULL AND NOT c.deleted AS known,
           i.id AS invoice_id, i.status AS old_status, i.amount AS old_amount, i.open_amount AS old_open,
           i.due_date AS old_due
    FROM {STAGING} s
    LEFT JOIN customer_rows c ON c.external_id = s.customer_external_id
    LEFT JOIN invoice_rows i ON i.external_id = s.external_id
),
updated AS (
    -- The status is computed from the row being updated (its latest version if another transaction changed it
    -- meanwhile), so a collector's concurrent status change is never overwritten with a stale one.
    UPDATE receivables.invoices i
    SET {", ".join(f"{c} = m.{c}" for c in CONTENT)}, status = {NEW_STATUS},
        promised_date = CASE WHEN {NEW_STATUS} = i.status THEN i.promised_date END,
        reported_date = CASE WHEN {NEW_STATUS} = i.status THEN i.reported_date END,
        dispute_area_id = CASE WHEN {NEW_STATUS} = i.status THEN i.dispute_area_id END,
        closed_on = CASE WHEN {NEW_STATUS} IN {CLOSED} THEN coalesce(i.closed_on, CAST(:today AS date)) END,
        source_version = coalesce(m.version, i.source_version), revision = i.revision + 1, updated_at = now()
    FROM looked m
    WHERE i.id = ANY(ARRAY(SELECT id FROM invoice_rows)) AND i.id = m.invoice_id AND m.known AND {NEWER}
      AND {DIFFERS}
    RETURNING i.*, m.old_status, m.old_amount, m.old_open, m.old_due
),
inserted AS (
    INSERT INTO receivables.invoices (id, tenant_id, customer_id, external_id, number, kind, currency, amount,
                                      open_amount, issue_date, due_date, document_url, applies_to, status,
                                      closed_on, source_version, entered_at)
    SELECT m.new_id, :tenant_id, m.customer_id, m.external_id, m.number, m.kind, m.currency,
           m.amount, m.open_amount, m.issue_date, m.due_date, m.document_url, m.applies_to, m.new_status,
           CASE WHEN m.new_status IN {CLOSED} THEN CAST(:today AS date) END, m.version, CAST(:now AS timestamptz)
    FROM (SELECT looked.*, {after_ingest_sql("NULL", "looked.requested", "looked.open_amount")} AS new_status
          FROM looked WHERE known AND invoice_id IS NULL) m
    ON CONFLICT (tenant_id, external_id) DO NOTHING
    RETURNING id, customer_id, kind
),
events AS (
    -- One deferred row per kind of change, not one row per invoice: the relay expands them.
    INSERT INTO receivables.outbox {OUTBOX_COLUMNS}
    SELECT {announce_invoices_later("jsonb_agg(i.id)", "'ingested'", TENANT)} FROM inserted i HAVING count(*) > 0
    UNION ALL
    SELECT {announce_invoices_later("jsonb_agg(i.id)", "'updated by the ERP'", TENANT)} FROM updated i
    HAVING count(*) > 0
),
rewritten AS (
    SELECT u.id, u.customer_id FROM updated u
    WHERE u.kind <> 'credit_note' AND (u.open_amount <> u.old_open OR u.status IN ('void', 'written_off'))
      AND EXISTS (SELECT 1 FROM receivables.credit_applications a WHERE a.invoice_id = u.id AND a.reversed_at IS NULL)
),
promises_resolved AS (
    UPDATE receivables.promises p
    SET resolved_on = CAST(:today AS date),
        status = CASE WHEN u.status <> 'paid' THEN 'cancelled'
                      WHEN CAST(:today AS date) <= p.promised_date + CAST(:grace AS integer) THEN 'kept'
                      ELSE 'broken' END
    FROM updated u
    WHERE p.tenant_id = :tenant_id AND p.invoice_id = u.id AND p.status = 'open'
      AND u.old_status = 'promise_to_pay' AND u.status <> 'promise_to_pay'
),
history AS (
    INSERT INTO receivables.timeline_entries (id, tenant_id, customer_id, occurred_at, kind, invoice_id, summary,
                                              data, actor)
    SELECT receivables.uuid7(), u.tenant_id, u.customer_id, CAST(:now AS timestamptz),
           CASE WHEN u.status <> u.old_status THEN 'status_change' ELSE 'invoice_updated' END, u.id,
           'Invoice ' || u.number || ' updated by the ERP'
               || CASE WHEN u.status <> u.old_status THEN ': ' || u.old_status || ' -> ' || u.status ELSE '' END,
           jsonb_build_object('from', u.old_status, 'to', u.status, 'reason', 'ingest',
                              'amount', jsonb_build_object('from', u.old_amount::text, 'to', u.amount::text),
                              'open_amount', jsonb_build_object('from', u.old_open::text, 'to', u.open_amount::text),
                              'due_date', jsonb_build_object('from', u.old_due, 'to', u.due_date)),
           :actor
    FROM updated u
)
SELECT (SELECT count(*) FROM inserted) AS created, (SELECT count(*) FROM updated) AS updated,
       -- For credits (payments/credits.py), only the few customers concerned: those with credit (as it was before
       -- this statement: the partial indexes answer), with a credit note in the batch, or with an invoice whose
       -- applied credit the ERP overwrote (open amount rewritten, voided, written off).
       ARRAY(SELECT x.customer_id FROM (SELECT customer_id FROM inserted UNION SELECT customer_id FROM updated) x
             WHERE EXISTS (SELECT 1 FROM receivables.invoices cn WHERE cn.tenant_id = :tenant_id
                             AND cn.customer_id = x.customer_id AND cn.kind = 'credit_note' AND cn.open_amount > 0
                             AND cn.status IN ('normal', 'promise_to_pay', 'payment_reported', 'dispute'))
                OR EXISTS (SELECT 1 FROM receivables.payments p WHERE p.tenant_id = :tenant_id
                             AND p.customer_id = x.customer_id AND p.status = 'applied' AND p.unapplied_amount > 0)
             UNION SELECT customer_id FROM inserted WHERE kind = 'credit_note'
             UNION SELECT customer_id FROM updated WHERE kind = 'credit_note'
             UNION SELECT customer_id FROM rewritten) AS customers,
       ARRAY(SELECT customer_id FROM inserted WHERE kind = 'credit_note'
             UNION SELECT customer_id FROM updated WHERE kind = 'credit_note') AS credit_customers,
       ARRAY(SELECT id FROM updated WHERE kind = 'credit_note') AS credit_notes,
       ARRAY(SELECT id FROM rewritten) AS rewritten,
       (SELECT jsonb_agg(jsonb_build_object('index', idx, 'external_id', external_id,
                                            'customer', customer_external_id, 'deleted', customer_deleted)
                         ORDER BY idx)
        FROM looked WHERE NOT known) AS unknown_customers
"""
)


@dataclass(slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


async def upsert_invoices(
    session: AsyncSession, profile: TenantProfile, lines: list[Line], actor: str
) -> tuple[Counts, list[RejectedRow]]:
    """Store the rows (staged as COPY text, see ``invoice_rows``); rows naming no customer are rejected."""
    if not lines:
        return Counts(), []
    await refresh_statistics(session, "receivables.invoices", "receivables.customers")
    new_ids = uuid7_texts(len(lines))
    staged = [f"{line.text}\t{new_id}" for line, new_id in zip(lines, new_ids, strict=True)]
    await copy_lines(session, STAGING, COLUMNS, staged)
    params = {
        "tenant_id": profile.tenant_id,
        "today": profile.today(),
        "now": profile.clock.now(),
        "grace": max(profile.promise_grace_days, 0),
        "actor": actor,
        "external_ids": [line.external_id for line in lines],
        "customer_external_ids": list({line.customer_external_id for line in lines}),
    }
    await explain_invoice_changes(session, "updated by the ERP")
    result = (await session.execute(UPSERT, params)).one()
    await apply_credits(
        session,
        profile,
        result.customers,
        actor,
        changed_credit_notes=result.credit_notes,
        rewritten_invoices=result.rewritten,
        credit_touched=result.credit_customers,
    )
    rejected = [
        RejectedRow(
            index=r["index"],
            external_id=r["external_id"],
            field="customer_external_id",
            reason="the customer was deleted" if r["deleted"] else f"no customer with external id {r['customer']!r}",
        )
        for r in result.unknown_customers or []
    ]
    counts = Counts(result.created, result.updated, len(lines) - len(rejected) - result.created - result.updated)
    return counts, rejected
