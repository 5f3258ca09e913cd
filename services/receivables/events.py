"""Events out, written into the outbox by SQL, so one statement announces any number of changed rows.

The payloads are built by PostgreSQL with exactly the fields of the contract classes (``shared/contracts/
receivables.py``); money travels as strings and dates as ISO strings, as pydantic's JSON mode writes them.
``tests/receivables/test_events.py`` validates every payload against its class.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.contracts.receivables import (
    CustomerChanged,
    CustomersChanged,
    InvoiceChanged,
    InvoicesChanged,
    InvoiceSnapshot,
    TaskChanged,
)
from shared.messages import Message
from shared.outbox import deferred

OUTBOX_COLUMNS = "(id, tenant_id, message_type, version, consumers, payload, occurred_at)"
# One outbox row announcing a bulk write's invoices: the relay sends it as one InvoicesChanged carrying their
# snapshots (as columns), read when it relays them (shared.outbox.deferred). Payload: {"invoice_ids": [...],
# "reason": "..."}.
INVOICES_CHANGED_LATER = "deferred:receivables.invoice_changed"
# The same for a bulk write's customers: one CustomersChanged. Payload: {"customer_ids": [...]}.
CUSTOMERS_CHANGED_LATER = "deferred:receivables.customers_changed"


def outbox_select(message: type[Message], payload_sql: str, tenant_sql: str, row_type: str | None = None) -> str:
    """``SELECT`` list of outbox rows for ``message`` (the consumers are inlined); ``row_type`` names a deferred
    row the relay turns into such messages."""
    consumers = "ARRAY[" + ",".join(f"'{c}'" for c in message.consumers) + "]::varchar[]"
    return (
        f"receivables.uuid7(), {tenant_sql}, '{row_type or message.message_type}', {message.version}, "
        f"{consumers}, {payload_sql}, clock_timestamp()"
    )


def invoice_fields(a: str = "i") -> list[tuple[str, str]]:
    """The ``InvoiceSnapshot`` fields of the invoice row aliased ``a``: ``(name, SQL expression)``; money as text,
    as pydantic's JSON mode writes it."""
    expressions = {"invoice_id": f"{a}.id", "amount": f"{a}.amount::text", "open_amount": f"{a}.open_amount::text"}
    return [(name, expressions.get(name, f"{a}.{name}")) for name in InvoiceSnapshot.model_fields]


def invoice_payload(a: str = "i", reason: str = "NULL") -> str:
    """``InvoiceChanged`` of the invoice row aliased ``a``; ``reason`` is a SQL expression."""
    fields = ", ".join(f"'{name}', {sql}" for name, sql in invoice_fields(a))
    return f"jsonb_build_object({fields}, 'reason', {reason})"


def invoice_columns(a: str = "i") -> str:
    """``InvoicesChanged``'s columns of the invoice rows aliased ``a`` (an aggregate): one list per field, in the
    invoices' id order, as ``jsonb_build_object`` arguments."""
    return ", ".join(f"'{name}', jsonb_agg({sql} ORDER BY {a}.id)" for name, sql in invoice_fields(a))


def announce_invoices_later(ids_sql: str, reason_sql: str, tenant_sql: str) -> str:
    """``SELECT`` list of one deferred outbox row announcing the invoices whose ids ``ids_sql`` aggregates
    (a ``jsonb`` array): a bulk write announces 10,000 invoices for the price of one row."""
    payload = f"jsonb_build_object('invoice_ids', {ids_sql}, 'reason', {reason_sql})"
    return outbox_select(InvoicesChanged, payload, tenant_sql, INVOICES_CHANGED_LATER)


def invoice_count(payload: dict[str, Any]) -> int:
    return len(payload["invoice_id"])


@deferred(INVOICES_CHANGED_LATER, InvoicesChanged, weight=invoice_count)
async def invoices_as_relayed(conn: AsyncConnection, row: Any) -> list[tuple[str, dict[str, Any]]]:
    """One ``InvoicesChanged`` with the snapshot of every invoice the deferred row announces, as it is now; none
    if none of them is left."""
    result = await conn.execute(
        text(
            # The row's payload is read once (materialized): an expression on it per invoice would decompress
            # the whole list of ids again for each of them. The order is fixed: a row relayed twice gives the
            # very same message.
            "WITH o AS MATERIALIZED (SELECT tenant_id, payload->'invoice_ids' AS ids, payload->>'reason' AS reason "
            "FROM receivables.outbox WHERE seq = :seq) "
            f"SELECT jsonb_build_object('reason', min(o.reason), {invoice_columns('i')}) AS payload "
            "FROM o CROSS JOIN LATERAL json_array_elements_text(o.ids) AS e(id) "
            "JOIN receivables.invoices i ON i.tenant_id = o.tenant_id AND i.id = CAST(e.id AS uuid) "
            "HAVING count(*) > 0"
        ),
        {"seq": row.seq},
    )
    return [("batch", payload) for payload in result.scalars()]


def person_json(
    a: str, name: str = "name", email: str = "email", phone: str = "phone", whatsapp: str = "whatsapp"
) -> str:
    return (
        f"CASE WHEN {a}.{name} IS NULL THEN NULL ELSE jsonb_build_object('id', {a}.id, 'name', {a}.{name}, "
        f"'email', {a}.{email}, 'phone', {a}.{phone}, 'whatsapp', {a}.{whatsapp}) END"
    )


# The collector is a gateway user (name, email) with an optional profile in people (phone, WhatsApp); the
# advisor and the advisor's supervisor are people (seed 002: customer -> business advisor -> supervisor).
PEOPLE_JOINS = """
    LEFT JOIN receivables.users cu ON cu.tenant_id = c.tenant_id AND cu.user_id = c.collector_id
    LEFT JOIN receivables.people cp ON cp.tenant_id = c.tenant_id AND cp.user_id = c.collector_id
    LEFT JOIN receivables.people ad ON ad.tenant_id = c.tenant_id AND ad.id = c.advisor_id
    LEFT JOIN receivables.people su ON su.tenant_id = c.tenant_id AND su.id = ad.supervisor_id
"""
COLLECTOR_JSON = (
    "CASE WHEN cu.user_id IS NULL THEN NULL ELSE jsonb_build_object('id', cu.user_id, 'name', cu.full_name, "
    "'email', cu.email, 'phone', cp.phone, 'whatsapp', cp.whatsapp) END"
)
ADVISOR_JSON = person_json("ad")
SUPERVISOR_JSON = person_json("su")


def credits_json(c: str = "c") -> str:
    """The unapplied credit of the customer row aliased ``c`` per currency (a ``MoneyAmount`` list): what is left
    of its open credit notes and its payments' unapplied amounts. Partial indexes keep it one probe each."""
    return f"""(SELECT coalesce(jsonb_agg(jsonb_build_object('currency', k.currency, 'amount', k.amount::text)
            ORDER BY k.currency), '[]'::jsonb)
        FROM (SELECT x.currency, sum(x.amount) AS amount FROM (
            SELECT ci.currency, ci.open_amount AS amount FROM receivables.invoices ci
            WHERE ci.tenant_id = {c}.tenant_id AND ci.customer_id = {c}.id AND ci.kind = 'credit_note'
              AND ci.open_amount > 0 AND ci.status IN ('normal', 'promise_to_pay', 'payment_reported', 'dispute')
            UNION ALL
            SELECT cp.currency, cp.unapplied_amount FROM receivables.payments cp
            WHERE cp.tenant_id = {c}.tenant_id AND cp.customer_id = {c}.id AND cp.status = 'applied'
              AND cp.unapplied_amount > 0) x GROUP BY x.currency) k)"""


def customer_payload(c: str = "c") -> str:
    """``CustomerChanged`` of the customer row aliased ``c`` (needs ``PEOPLE_JOINS``)."""
    return f"""jsonb_build_object(
        'customer_id', {c}.id, 'revision', {c}.revision, 'external_id', {c}.external_id, 'name', {c}.name,
        'tax_id', {c}.tax_id, 'country', {c}.country, 'timezone', {c}.timezone, 'language', {c}.language,
        'segment', {c}.segment, 'vip', {c}.vip, 'risk_level', {c}.risk_level, 'tags', to_jsonb({c}.tags),
        'contacts', {c}.contacts, 'opted_out_channels', to_jsonb({c}.opted_out_channels),
        'collector_id', {c}.collector_id, 'collector', {COLLECTOR_JSON}, 'advisor', {ADVISOR_JSON},
        'supervisor', {SUPERVISOR_JSON}, 'deleted', {c}.deleted, 'credits', {credits_json(c)},
        'computed_risk_level', {c}.computed_risk_level,
        'computed_risk_reasons', to_jsonb({c}.computed_risk_reasons))"""


def announce_customers_later(ids_sql: str, tenant_sql: str) -> str:
    """``SELECT`` list of one deferred outbox row announcing the customers whose ids ``ids_sql`` aggregates (a
    ``jsonb`` array)."""
    return outbox_select(
        CustomersChanged, f"jsonb_build_object('customer_ids', {ids_sql})", tenant_sql, CUSTOMERS_CHANGED_LATER
    )


def customer_count(payload: dict[str, Any]) -> int:
    return len(payload["customers"])


@deferred(CUSTOMERS_CHANGED_LATER, CustomersChanged, weight=customer_count)
async def customers_as_relayed(conn: AsyncConnection, row: Any) -> list[tuple[str, dict[str, Any]]]:
    """One ``CustomersChanged`` with the snapshot of every customer the deferred row announces, as it is now."""
    result = await conn.execute(
        text(
            "WITH o AS MATERIALIZED (SELECT tenant_id, payload->'customer_ids' AS ids "
            "FROM receivables.outbox WHERE seq = :seq) "
            f"SELECT jsonb_build_object('customers', jsonb_agg({customer_payload('c')} ORDER BY c.id)) AS payload "
            "FROM o CROSS JOIN LATERAL json_array_elements_text(o.ids) AS e(id) "
            "JOIN receivables.customers c ON c.tenant_id = o.tenant_id AND c.id = CAST(e.id AS uuid) "
            f"{PEOPLE_JOINS} HAVING count(*) > 0"
        ),
        {"seq": row.seq},
    )
    return [("batch", payload) for payload in result.scalars()]


async def explain_invoice_changes(session: AsyncSession, reason: str) -> None:
    """Say why the next UPDATE of invoices in this transaction changes statuses: the trigger that announces each
    status change (``InvoiceStatusChanged``, migration 0027) takes the reason and clears it."""
    await session.execute(text("SELECT set_config('receivables.change_reason', :reason, true)"), {"reason": reason})


async def emit_invoices_changed(
    session: AsyncSession, tenant_id: uuid.UUID, invoice_ids: Sequence[uuid.UUID], reason: str
) -> None:
    """One ``InvoiceChanged`` per invoice, with the invoice as it is now in this transaction."""
    if not invoice_ids:
        return
    await session.execute(
        text(
            f"INSERT INTO receivables.outbox {OUTBOX_COLUMNS} "
            f"SELECT {outbox_select(InvoiceChanged, invoice_payload('i', 'CAST(:reason AS text)'), 'i.tenant_id')} "
            "FROM receivables.invoices i WHERE i.tenant_id = :tenant_id AND i.id = ANY(:ids) ORDER BY i.id"
        ),
        {"tenant_id": tenant_id, "ids": list(invoice_ids), "reason": reason},
    )


async def emit_customers_changed(
    session: AsyncSession, tenant_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> None:
    """One ``CustomerChanged`` per customer, with its collector, advisor and supervisor filled in."""
    if not customer_ids:
        return
    await session.execute(
        text(
            f"INSERT INTO receivables.outbox {OUTBOX_COLUMNS} "
            f"SELECT {outbox_select(CustomerChanged, customer_payload('c'), 'c.tenant_id')} "
            f"FROM receivables.customers c {PEOPLE_JOINS} "
            "WHERE c.tenant_id = :tenant_id AND c.id = ANY(:ids) ORDER BY c.id"
        ),
        {"tenant_id": tenant_id, "ids": list(customer_ids)},
    )


async def bump_and_emit_customers(
    session: AsyncSession, tenant_id: uuid.UUID, where_sql: str, params: dict[str, Any]
) -> int:
    """Bump the revision of the customers matching ``where_sql`` and announce them (a person they point to
    changed: the snapshot carries that person). Set-based: one UPDATE and one INSERT."""
    result = await session.execute(
        text(
            "UPDATE receivables.customers c SET revision = c.revision + 1, updated_at = now() "
            f"WHERE c.tenant_id = :tenant_id AND NOT c.deleted AND ({where_sql}) RETURNING c.id"
        ),
        {"tenant_id": tenant_id, **params},
    )
    ids = list(result.scalars())
    await emit_customers_changed(session, tenant_id, ids)
    return len(ids)


def task_payload(t: str = "t") -> str:
    """``TaskChanged`` of the task row aliased ``t``."""
    return f"""jsonb_build_object(
        'task_id', {t}.id, 'revision', {t}.revision, 'customer_id', {t}.customer_id, 'title', {t}.title,
        'assignee_id', {t}.assignee_id, 'supervisor_id', {t}.supervisor_id, 'due_date', {t}.due_date,
        'status', {t}.status)"""


async def emit_tasks_changed(session: AsyncSession, tenant_id: uuid.UUID, task_ids: Sequence[uuid.UUID]) -> None:
    if not task_ids:
        return
    await session.execute(
        text(
            f"INSERT INTO receivables.outbox {OUTBOX_COLUMNS} "
            f"SELECT {outbox_select(TaskChanged, task_payload('t'), 't.tenant_id')} "
            "FROM receivables.tasks t WHERE t.tenant_id = :tenant_id AND t.id = ANY(:ids) ORDER BY t.id"
        ),
        {"tenant_id": tenant_id, "ids": list(task_ids)},
    )
