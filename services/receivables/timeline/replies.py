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

from services.receivables.tasks.service import insert_service_tasks
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

CUSTOMER_NAMES = text(
    "SELECT id, name FROM receivables.customers WHERE tenant_id = :tenant_id AND id = ANY(CAST(:ids AS uuid[]))"
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


async def on_reply_received(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[ReplyReceived]]) -> None:
    for tenant_id, replies in messages_by_tenant(batch).items():
        known = [r for r in replies if r.customer_id is not None]
        if not known:
            continue
        await session.execute(
            REPLY_ENTRIES, {"tenant_id": tenant_id, "rows": orjson.dumps([entry_row(r) for r in known]).decode()}
        )
        asks = [r for r in known if not r.opt_out]
        if not asks:
            continue
        ids = list({r.customer_id for r in asks})
        names = {
            row.id: row.name for row in await session.execute(CUSTOMER_NAMES, {"tenant_id": tenant_id, "ids": ids})
        }
        rows = [
            {
                "key": f"reply:{r.reply_id}",
                "customer_id": str(r.customer_id),
                "title": f"{names.get(r.customer_id, '')} replied by {r.channel.value}: {text_start(r.body)}"[:200],
                "description": r.body,
                "assignee_id": None,
                "due_date": None,
                "source": "messaging",
            }
            for r in asks
            if r.customer_id in names
        ]
        await insert_service_tasks(session, tenant_id, rows)
