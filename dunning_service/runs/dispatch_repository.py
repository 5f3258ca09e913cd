"""The dispatches' repository for messaging's answers (``acceptance.py``) and their fallbacks (``fallback.py``):
the dispatches' transitions, the steps pending, accepted, done or undone on their invoices, the commands into the
outbox, and what a fallback reads (the customers, invoices and positions, the chain's tried dispatches). One
statement each, whatever the batch's size; a run writes its own in SQL alone (``handover_repository.py``).
"""

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.models import Dispatch
from dunning_service.projection.rules import CustomerView, InvoiceView
from dunning_service.projection.views import customer_view, invoice_view
from dunning_service.runs import pending
from dunning_service.runs.selection import OPEN_STATUSES, OWED
from shared.contracts.common import InvoiceKind, InvoiceStatus
from shared.db import row_as
from shared.messages import Message


@dataclass(frozen=True, slots=True)
class Answer:
    """Messaging's answer about one of dunning's messages (by its idempotency key)."""

    tenant_id: uuid.UUID
    key: str
    message_id: uuid.UUID | None
    error: str | None


@dataclass(frozen=True, slots=True)
class AnsweredDispatch:
    """A dispatch an answer moved (``hold``, ``send``, ``fail``), with the answer's error."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    customer_id: uuid.UUID
    as_of: date
    channel: str | None
    address: str | None
    invoice_ids: list[uuid.UUID]
    step_ids: list[uuid.UUID]
    step_keys: list[str]
    action_invoice_ids: list[uuid.UUID]
    origin_id: uuid.UUID | None
    error: str | None


@dataclass(frozen=True, slots=True)
class TriedDispatch:
    """A failed dispatch of a chain (``root``: the chain's first dispatch): what a fallback must not try again."""

    root: uuid.UUID
    channel: str
    address: str  # a message's dispatch always has one
    delivery_state: str | None
    error: str | None


# ------------------------------------------------------------------------------------------ the answers

_UNNEST = """unnest(CAST(:tenants AS uuid[]), CAST(:keys AS text[]), CAST(:message_ids AS uuid[]),
            CAST(:errors AS text[])) AS u(tenant_id, key, message_id, error)"""
_RETURNING = """RETURNING d.id, d.tenant_id, d.run_id, d.customer_id, d.as_of, d.channel, d.address, d.invoice_ids,
          d.step_ids, d.step_keys, d.action_invoice_ids, d.origin_id, u.error"""

_HOLD = text(
    f"""
UPDATE dunning.dispatches d SET state = 'accepted', message_id = u.message_id, resolved_at = now()
FROM {_UNNEST}
WHERE d.tenant_id = u.tenant_id AND d.idempotency_key = u.key AND d.state = 'pending'
{_RETURNING}"""
)
_SEND = text(
    f"""
UPDATE dunning.dispatches d
SET state = 'sent', message_id = u.message_id, resolved_at = coalesce(d.resolved_at, now())
FROM {_UNNEST}
WHERE d.tenant_id = u.tenant_id AND d.idempotency_key = u.key AND d.state IN ('pending', 'accepted')
{_RETURNING}"""
)
_FAIL = text(
    f"""
UPDATE dunning.dispatches d
SET state = 'failed', message_id = u.message_id, resolved_at = coalesce(d.resolved_at, now())
FROM {_UNNEST}
WHERE d.tenant_id = u.tenant_id AND d.idempotency_key = u.key AND d.state IN ('pending', 'accepted', 'sent')
{_RETURNING}"""
)
_DELIVERY = text(
    """
UPDATE dunning.dispatches d
SET delivery_state = u.state, error = coalesce(u.error, d.error)
FROM unnest(CAST(:tenants AS uuid[]), CAST(:keys AS text[]), CAST(:states AS text[]), CAST(:ranks AS int[]),
            CAST(:errors AS text[])) AS u(tenant_id, key, state, rank, error)
WHERE d.tenant_id = u.tenant_id AND d.idempotency_key = u.key AND d.channel IS NOT NULL
  AND u.rank > CASE d.delivery_state WHEN 'queued' THEN 1 WHEN 'deferred' THEN 2 WHEN 'sending' THEN 3
                 WHEN 'sent' THEN 4 WHEN 'delivered' THEN 5 WHEN 'read' THEN 6 WHEN 'failed' THEN 7
                 WHEN 'bounced' THEN 7 ELSE 0 END
"""
)


async def _transition(session: AsyncSession, statement: Any, answers: list[Answer]) -> list[AnsweredDispatch]:
    if not answers:
        return []
    params = {
        "tenants": [a.tenant_id for a in answers],
        "keys": [a.key for a in answers],
        "message_ids": [a.message_id for a in answers],
        "errors": [a.error for a in answers],
    }
    return [row_as(AnsweredDispatch, row) for row in (await session.execute(statement, params)).mappings()]


async def hold(session: AsyncSession, answers: list[Answer]) -> list[AnsweredDispatch]:
    """Messaging holds these messages: their pending dispatches are accepted."""
    return await _transition(session, _HOLD, answers)


async def send(session: AsyncSession, answers: list[Answer]) -> list[AnsweredDispatch]:
    """Messaging sent these messages: their dispatches, pending or accepted, are sent."""
    return await _transition(session, _SEND, answers)


async def fail(session: AsyncSession, answers: list[Answer]) -> list[AnsweredDispatch]:
    """These messages failed for good: their dispatches (not failed yet) are failed."""
    return await _transition(session, _FAIL, answers)


async def record_steps_accepted(session: AsyncSession, steps: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> None:
    """(tenant, invoice, step) pending and held by messaging: the pending expiry no longer applies."""
    if not steps:
        return
    await session.execute(pending.ACCEPT, _triples(steps))


async def record_delivery(
    session: AsyncSession, answers: list[Answer], states: list[str], rank: Mapping[str, int]
) -> None:
    """What messaging last said of each message (``states``, in the order of ``answers``; a later ``rank`` wins)."""
    if not answers:
        return
    await session.execute(
        _DELIVERY,
        {
            "tenants": [a.tenant_id for a in answers],
            "keys": [a.key for a in answers],
            "states": states,
            "ranks": [rank[s] for s in states],
            "errors": [a.error for a in answers],
        },
    )


# ------------------------------------------------------------------------------------ steps and commands


def _triples(steps: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> dict[str, list[uuid.UUID]]:
    """(tenant, invoice, step) triples as ``pending.TRIPLES``' parameters."""
    return {"tenants": [s[0] for s in steps], "invoices": [s[1] for s in steps], "steps": [s[2] for s in steps]}


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


async def insert_outbox(
    session: AsyncSession, tenant_id: uuid.UUID, messages: list[tuple[type[Message], dict[str, Any]]]
) -> None:
    """Outbox rows written directly in SQL (same columns as ``shared.outbox.emit``), for large batches."""
    if not messages:
        return
    await session.execute(
        text(
            "INSERT INTO dunning.outbox (id, tenant_id, message_type, version, consumers, payload, occurred_at) "
            "SELECT u.id, :tenant_id, u.type, u.version, CAST(u.consumers AS varchar[]), CAST(u.payload AS jsonb), "
            "clock_timestamp() "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]), CAST(:versions AS int[]), "
            "CAST(:consumers AS text[]), CAST(:payloads AS text[])) WITH ORDINALITY "
            "AS u(id, type, version, consumers, payload, n) ORDER BY u.n"
        ),
        {
            "tenant_id": tenant_id,
            "ids": [uuid.uuid4() for _ in messages],
            "types": [cls.message_type for cls, _ in messages],
            "versions": [cls.version for cls, _ in messages],
            "consumers": ["{" + ",".join(cls.consumers) + "}" for cls, _ in messages],
            "payloads": [_json(payload) for _, payload in messages],
        },
    )


async def record_steps_pending(session: AsyncSession, steps: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> None:
    """Record (tenant, invoice, step) as handed to messaging and not sent yet: nobody answered so far, so the
    pending expiry applies until messaging accepts it."""
    if not steps:
        return
    await session.execute(pending.MARK, _triples(steps))


async def record_steps_done(session: AsyncSession, steps: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, bool]]) -> None:
    """Record (tenant, invoice, step, is_action) as done: the step joins the invoice's steps done, stops
    being pending, and an action step stops the invoice's reminders. One statement for all of them."""
    if not steps:
        return
    merged: dict[tuple[uuid.UUID, uuid.UUID], tuple[set[uuid.UUID], bool]] = {}
    for tenant_id, invoice_id, step, is_action in steps:
        ids, action = merged.get((tenant_id, invoice_id), (set(), False))
        ids.add(step)
        merged[(tenant_id, invoice_id)] = (ids, action or is_action)
    await session.execute(
        text(
            "UPDATE dunning.invoices i SET "
            "steps_done = ARRAY(SELECT DISTINCT s FROM unnest(i.steps_done || CAST(u.steps AS uuid[])) s ORDER BY s), "
            "stopped_by_action = i.stopped_by_action OR u.is_action "
            "FROM unnest(CAST(:tenants AS uuid[]), CAST(:invoices AS uuid[]), CAST(:steps AS text[]), "
            "CAST(:actions AS boolean[])) AS u(tenant_id, invoice_id, steps, is_action) "
            "WHERE i.tenant_id = u.tenant_id AND i.id = u.invoice_id"
        ),
        {
            "tenants": [k[0] for k in merged],
            "invoices": [k[1] for k in merged],
            "steps": ["{" + ",".join(sorted(str(s) for s in v[0])) + "}" for v in merged.values()],
            "actions": [v[1] for v in merged.values()],
        },
    )
    await session.execute(pending.CLEAR, _triples([step[:3] for step in steps]))


# ------------------------------------------------------------------------------------------- a fallback

# The failed steps are not done (a late failure undoes them) and no longer pending (``pending.CLEAR``).
_UNDO = text(
    f"""
UPDATE dunning.invoices i SET steps_done = array_remove(i.steps_done, u.step_id)
FROM {pending.TRIPLES}
WHERE i.tenant_id = u.tenant_id AND i.id = u.invoice_id
"""
)
_TRIED = text(
    """
SELECT coalesce(origin_id, id) AS root, channel, address, delivery_state, error
FROM dunning.dispatches
WHERE tenant_id = :tenant_id AND coalesce(origin_id, id) = ANY(CAST(:roots AS uuid[]))
  AND state = 'failed' AND channel IS NOT NULL
ORDER BY created_at, id
"""
)


async def undo_steps(session: AsyncSession, pairs: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> None:
    """(tenant, invoice, step) failed: not done, no longer pending."""
    await session.execute(_UNDO, _triples(pairs))
    await session.execute(pending.CLEAR, _triples(pairs))


async def tried(session: AsyncSession, tenant_id: uuid.UUID, roots: list[uuid.UUID]) -> list[TriedDispatch]:
    """The failed dispatches of the chains ``roots``, oldest first."""
    rows = (await session.execute(_TRIED, {"tenant_id": tenant_id, "roots": roots})).mappings()
    return [row_as(TriedDispatch, row) for row in rows]


async def insert_dispatches(session: AsyncSession, records: list[dict[str, Any]]) -> set[uuid.UUID]:
    """The fallbacks' dispatches; a key already there is skipped (a failure handled twice). Returns those written."""
    table = Dispatch.__table__
    statement = (
        insert(table)
        .values(records)
        .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
        .returning(table.c.id)
    )
    return set((await session.execute(statement)).scalars())


_STATUS = {s.value: s for s in InvoiceStatus}
_KIND = {k.value: k for k in InvoiceKind}


async def customers(session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, CustomerView]:
    """The customers ``ids`` as the rules see them."""
    if not ids:
        return {}
    rows = (
        (
            await session.execute(
                text(
                    "SELECT id, name, vip, segment, risk_level, computed_risk_level, tags, country, language, "
                    "CAST(contacts AS text) AS contacts, opted_out_channels, deleted, external_id, tax_id, timezone, "
                    "collector_id, CAST(people AS text) AS people, CAST(credits AS text) AS credits, replied_on "
                    "FROM dunning.customers WHERE tenant_id = :tenant_id AND id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"tenant_id": tenant_id, "ids": ids},
            )
        )
        .mappings()
        .all()
    )
    return {row["id"]: customer_view(row) for row in rows}


async def invoices(session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, InvoiceView]:
    """The invoices ``ids`` as the rules see them."""
    query = text(f"{pending.INVOICES} WHERE i.tenant_id = :t AND i.id = ANY(CAST(:ids AS uuid[]))")
    rows = (await session.execute(query, {"t": tenant_id, "ids": ids})).mappings()
    return {row["id"]: invoice_view(row) for row in rows}


# The customer's open position (``in_position``): open, owed, not a credit note, listed by receivables.
_POSITIONS = f"""
SELECT id, customer_id, number, kind, currency, amount, open_amount, issue_date, due_date, status,
       promised_date, reported_date, document_url
FROM dunning.invoices
WHERE tenant_id = $1 AND customer_id = ANY($2::uuid[])
  AND status IN {OPEN_STATUSES} AND {OWED}"""
POSITION_BATCH = 5_000


async def positions(
    session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID], batch: int = POSITION_BATCH
) -> dict[uuid.UUID, list[InvoiceView]]:
    """Every open invoice of the customers ``ids``, per customer: one query per ``batch`` customers. Read with the
    session's asyncpg connection (same transaction) and its positional rows: a fallback batch may state the whole
    position of thousands of customers, and this skips SQLAlchemy's row processing for every invoice (as found:
    no measurement of it is recorded in the repository)."""
    out: dict[uuid.UUID, list[InvoiceView]] = defaultdict(list)
    if not ids:
        return out
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    for start in range(0, len(ids), batch):
        for row in await driver.fetch(_POSITIONS, tenant_id, ids[start : start + batch]):  # type: ignore[union-attr]
            invoice_id, customer_id, number, kind, currency, amount, open_amount = row[:7]
            issue_date, due_date, status, promised_date, reported_date, document_url = row[7:]
            out[customer_id].append(
                InvoiceView(
                    id=invoice_id,
                    customer_id=customer_id,
                    number=number,
                    currency=currency,
                    amount=amount,
                    open_amount=open_amount,
                    issue_date=issue_date,
                    due_date=due_date,
                    status=_STATUS[status],
                    kind=_KIND[kind],
                    promised_date=promised_date,
                    reported_date=reported_date,
                    extra={"document_url": document_url},
                )
            )
    return out
