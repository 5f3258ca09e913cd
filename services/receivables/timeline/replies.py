"""A customer's reply (``messaging.reply_received``, issue 10): on the timeline, and a task for the collector.

Seed 003 keeps every contact with the customer in its log; a reply ("ya pagué", "no me llegó la factura") is a
contact the collector must answer, so it also becomes a task due today, unless it was a STOP/BAJA (an opt-out,
which messaging records and the customer's channels already show). Both in the consumer's one transaction;
a replayed event is dropped by the inbox, and the task's key (``reply:<reply id>``) keeps it single anyway.
"""

from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import emit_tasks_changed
from services.receivables.timeline.repository import add_entries
from shared.contracts.messaging import ReplyReceived
from shared.inbox import Received, messages_by_tenant

START_CHARS = 120

REPLY_ENTRIES = text(
    """
INSERT INTO receivables.timeline_entries (id, tenant_id, customer_id, occurred_at, kind, ref_id, summary, data, actor)
SELECT receivables.uuid7(), c.tenant_id, c.id, x.received_at, 'reply_received', x.reply_id, x.summary, x.data,
       'service:messaging'
FROM jsonb_to_recordset(CAST(:rows AS jsonb))
     AS x(reply_id uuid, customer_id uuid, received_at timestamptz, summary text, data jsonb)
JOIN receivables.customers c ON c.tenant_id = :tenant_id AND c.id = x.customer_id
"""
)

REPLY_TASKS = text(
    """
INSERT INTO receivables.tasks (id, tenant_id, customer_id, title, description, assignee_id, due_date, status, source,
                               idempotency_key, created_by)
SELECT receivables.uuid7(), c.tenant_id, c.id,
       left(c.name || ' replied by ' || x.channel || ': ' || x.start, 200), x.body, c.collector_id,
       (now() AT TIME ZONE coalesce(t.timezone, 'UTC'))::date, 'open', 'messaging', 'reply:' || x.reply_id,
       'service:messaging'
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(reply_id uuid, customer_id uuid, channel text, start text, body text)
JOIN receivables.customers c ON c.tenant_id = :tenant_id AND c.id = x.customer_id
LEFT JOIN receivables.tenants t ON t.tenant_id = c.tenant_id
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
RETURNING id, customer_id, title, status, assignee_id, due_date, created_by
"""
)


def text_start(body: str) -> str:
    """The reply's first words, on one line, for a summary or a task's title."""
    flat = " ".join(body.split())
    return flat if len(flat) <= START_CHARS else flat[: START_CHARS - 1] + "…"


def entry_row(reply: ReplyReceived) -> dict[str, Any]:
    start = text_start(reply.body)
    what = "asked to stop messages" if reply.opt_out else f"replied: {start}"
    return {
        "reply_id": str(reply.reply_id),
        "customer_id": str(reply.customer_id),
        "received_at": reply.received_at.isoformat(),
        "summary": f"{reply.channel.value} from {reply.from_address} {what}"[:500],
        "data": {
            "reply_id": str(reply.reply_id),
            "channel": reply.channel.value,
            "from": reply.from_address,
            "subject": reply.subject,
            "text": start,
            "in_reply_to": str(reply.in_reply_to) if reply.in_reply_to else None,
            "opt_out": reply.opt_out,
        },
    }


def _task_entry(task: Any) -> dict[str, Any]:
    """The task's own line on the timeline, as every task created for a customer has."""
    return {
        "customer_id": task["customer_id"],
        "kind": "task",
        "ref_id": task["id"],
        "summary": f"Task: {task['title']}",
        "data": {
            "title": task["title"],
            "status": task["status"],
            "assignee_id": task["assignee_id"],
            "due_date": task["due_date"],
        },
        "actor": task["created_by"],
    }


async def on_reply_received(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[ReplyReceived]]) -> None:
    for tenant_id, replies in messages_by_tenant(batch).items():
        known = [r for r in replies if r.customer_id is not None]
        if not known:
            continue
        await session.execute(
            REPLY_ENTRIES, {"tenant_id": tenant_id, "rows": orjson.dumps([entry_row(r) for r in known]).decode()}
        )
        asks = [
            {
                "reply_id": str(r.reply_id),
                "customer_id": str(r.customer_id),
                "channel": r.channel.value,
                "start": text_start(r.body),
                "body": r.body,
            }
            for r in known
            if not r.opt_out
        ]
        if not asks:
            continue
        created = (
            (await session.execute(REPLY_TASKS, {"tenant_id": tenant_id, "rows": orjson.dumps(asks).decode()}))
            .mappings()
            .all()
        )
        await add_entries(session, tenant_id, [_task_entry(r) for r in created])
        await emit_tasks_changed(session, tenant_id, [r["id"] for r in created])
