"""Messages messaging sent, on the customer's timeline with their delivery status (seed 003: every automatic
message is logged in the customer's log). One entry per message, updated as its delivery moves on."""

from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.messaging import MessageStatusChanged
from shared.inbox import Received

UPSERT = text(
    """
INSERT INTO receivables.timeline_entries (id, tenant_id, customer_id, occurred_at, kind, ref_id, summary, data, actor)
SELECT receivables.uuid7(), :tenant_id, x.customer_id, x.first_at, 'message', x.message_id, x.summary, x.data,
       'service:messaging'
FROM jsonb_to_recordset(CAST(:rows AS jsonb))
     AS x(message_id uuid, customer_id uuid, first_at timestamptz, summary text, data jsonb)
JOIN receivables.customers c ON c.tenant_id = :tenant_id AND c.id = x.customer_id
ON CONFLICT (tenant_id, ref_id) WHERE kind = 'message' DO UPDATE SET
    occurred_at = least(timeline_entries.occurred_at, EXCLUDED.occurred_at),
    summary = CASE WHEN (EXCLUDED.data->>'state_at')::timestamptz >= (timeline_entries.data->>'state_at')::timestamptz
                   THEN EXCLUDED.summary ELSE timeline_entries.summary END,
    data = (CASE WHEN (EXCLUDED.data->>'state_at')::timestamptz >= (timeline_entries.data->>'state_at')::timestamptz
                 THEN timeline_entries.data || (EXCLUDED.data - 'states')
                 ELSE timeline_entries.data END)
           || jsonb_build_object('states', coalesce(timeline_entries.data->'states', '[]'::jsonb)
                                           || coalesce(EXCLUDED.data->'states', '[]'::jsonb))
"""
)


def _summary(message: MessageStatusChanged) -> str:
    what = message.subject or message.kind.value.replace("_", " ")
    return f"{message.channel.value} to {message.to}: {what} ({message.state.value})"[:500]


async def on_message_status_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[MessageStatusChanged]]
) -> None:
    per_message: dict[tuple[Any, Any], list[MessageStatusChanged]] = defaultdict(list)
    for received in batch:
        if received.message.customer_id is not None:
            per_message[(received.tenant_id, received.message.message_id)].append(received.message)
    per_tenant: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for (tenant_id, message_id), events in per_message.items():
        events.sort(key=lambda m: m.occurred_at)
        last = events[-1]
        per_tenant[tenant_id].append(
            {
                "message_id": str(message_id),
                "customer_id": str(last.customer_id),
                "first_at": events[0].occurred_at.isoformat(),
                "summary": _summary(last),
                "data": {
                    "message_id": str(message_id),
                    "kind": last.kind.value,
                    "channel": last.channel.value,
                    "to": last.to,
                    "subject": last.subject,
                    "source": last.source,
                    "source_ref": last.source_ref,
                    "invoice_ids": [str(i) for i in last.invoice_ids],
                    "state": last.state.value,
                    "state_at": last.occurred_at.isoformat(),
                    "attempts": last.attempts,
                    "error": last.error,
                    "states": [
                        {"state": m.state.value, "at": m.occurred_at.isoformat(), "error": m.error} for m in events
                    ],
                },
            }
        )
    for tenant_id, rows in per_tenant.items():
        await session.execute(UPSERT, {"tenant_id": tenant_id, "rows": orjson.dumps(rows).decode()})
