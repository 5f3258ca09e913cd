"""The writes a fallback (``runs/fallback.py``) and messaging's answers (``runs/acceptance.py``) share: steps
pending or done on their invoices, commands into the outbox. One statement each, whatever the batch's size.
A run writes its own in SQL alone (``runs/statements.py``).
"""

import uuid
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.messages import Message


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


async def insert_outbox(
    conn: AsyncConnection, tenant_id: uuid.UUID, messages: list[tuple[type[Message], dict[str, Any]]]
) -> None:
    """Outbox rows written directly in SQL (same columns as ``shared.outbox.emit``), for large batches."""
    if not messages:
        return
    await conn.execute(
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


async def record_steps_pending(conn: Any, steps: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> None:
    """Record (tenant, invoice, step) as handed to messaging and not sent yet: nobody answered so far, so the
    pending expiry applies until messaging accepts it."""
    if not steps:
        return
    await conn.execute(
        text(
            "UPDATE dunning.invoices i "
            "SET pending_step_id = u.step_id, pending_since = now(), pending_accepted = false "
            "FROM unnest(CAST(:tenants AS uuid[]), CAST(:invoice_ids AS uuid[]), CAST(:step_ids AS uuid[])) "
            "AS u(tenant_id, invoice_id, step_id) "
            "WHERE i.tenant_id = u.tenant_id AND i.id = u.invoice_id"
        ),
        {"tenants": [s[0] for s in steps], "invoice_ids": [s[1] for s in steps], "step_ids": [s[2] for s in steps]},
    )


async def record_steps_done(conn: Any, steps: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, bool]]) -> None:
    """Record (tenant, invoice, step, is_action) as done: the step joins the invoice's steps done, stops
    being pending, and an action step stops the invoice's reminders. One statement for all of them."""
    if not steps:
        return
    merged: dict[tuple[uuid.UUID, uuid.UUID], tuple[set[uuid.UUID], bool]] = {}
    for tenant_id, invoice_id, step, is_action in steps:
        ids, action = merged.get((tenant_id, invoice_id), (set(), False))
        ids.add(step)
        merged[(tenant_id, invoice_id)] = (ids, action or is_action)
    await conn.execute(
        text(
            "UPDATE dunning.invoices i SET "
            "steps_done = ARRAY(SELECT DISTINCT s FROM unnest(i.steps_done || CAST(u.steps AS uuid[])) s ORDER BY s), "
            "pending_step_id = CASE WHEN i.pending_step_id = ANY(CAST(u.steps AS uuid[])) THEN NULL "
            "ELSE i.pending_step_id END, "
            "pending_since = CASE WHEN i.pending_step_id = ANY(CAST(u.steps AS uuid[])) THEN NULL "
            "ELSE i.pending_since END, "
            "pending_accepted = i.pending_accepted AND NOT coalesce(i.pending_step_id = ANY(CAST(u.steps AS uuid[])), "
            "false), "
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
