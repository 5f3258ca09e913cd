"""What messaging learns about a customer's contacts comes back here, the customers' system of record: an
address that bounces is marked invalid, an opt-out is kept; both re-announce the customer (dunning skips them)."""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import emit_customers_changed
from services.receivables.timeline.repository import add_entries
from shared.contracts.messaging import ContactInvalidated, OptOutRecorded
from shared.inbox import Received, messages_by_tenant

INVALIDATE = text(
    """
UPDATE receivables.customers c
SET contacts = (
        SELECT jsonb_agg(CASE WHEN EXISTS (
                    SELECT 1 FROM jsonb_array_elements(x.pairs) p
                    WHERE p->>'channel' = e->>'channel' AND lower(p->>'address') = lower(e->>'address'))
                THEN e || '{"invalid": true}'::jsonb ELSE e END ORDER BY n)
        FROM jsonb_array_elements(c.contacts) WITH ORDINALITY AS a(e, n)),
    revision = c.revision + 1, updated_at = now()
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(customer_id uuid, pairs jsonb)
WHERE c.tenant_id = :tenant_id AND c.id = x.customer_id AND EXISTS (
    SELECT 1 FROM jsonb_array_elements(c.contacts) e, jsonb_array_elements(x.pairs) p
    WHERE p->>'channel' = e->>'channel' AND lower(p->>'address') = lower(e->>'address')
      AND NOT coalesce((e->>'invalid')::boolean, false))
RETURNING c.id
"""
)

OPT_OUT = text(
    """
UPDATE receivables.customers c
SET opted_out_channels = ARRAY(SELECT DISTINCT ch FROM unnest(c.opted_out_channels || x.channels) ch ORDER BY ch),
    revision = c.revision + 1, updated_at = now()
FROM (SELECT customer_id, array_agg(channel)::varchar[] AS channels
      FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(customer_id uuid, channel text) GROUP BY customer_id) x
WHERE c.tenant_id = :tenant_id AND c.id = x.customer_id AND NOT (c.opted_out_channels @> x.channels)
RETURNING c.id
"""
)


async def _apply(
    session: AsyncSession,
    tenant_id: Any,
    statement: Any,
    rows: list[dict[str, Any]],
    messages: list[Any],
    entry: Callable[[Any], dict[str, Any]],
) -> None:
    """Run ``statement`` over ``rows``, announce the customers it changed and put ``entry(message)`` on their
    timelines (a customer already in that state gets neither)."""
    changed = set(
        (await session.execute(statement, {"tenant_id": tenant_id, "rows": orjson.dumps(rows).decode()})).scalars()
    )
    await emit_customers_changed(session, tenant_id, sorted(changed))
    entries = [
        {"customer_id": m.customer_id, "kind": "contact", "actor": "service:messaging", **entry(m)}
        for m in messages
        if m.customer_id in changed
    ]
    await add_entries(session, tenant_id, entries)


async def on_contact_invalidated(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[ContactInvalidated]]
) -> None:
    for tenant_id, messages in messages_by_tenant(batch).items():
        pairs: dict[Any, list[dict[str, str]]] = defaultdict(list)
        for m in messages:
            pairs[str(m.customer_id)].append({"channel": m.channel.value, "address": m.address})
        rows = [{"customer_id": c, "pairs": p} for c, p in pairs.items()]
        await _apply(
            session,
            tenant_id,
            INVALIDATE,
            rows,
            messages,
            lambda m: {
                "summary": f"{m.channel.value} {m.address} found invalid: {m.reason}"[:500],
                "data": {"channel": m.channel.value, "address": m.address, "reason": m.reason, "event": "invalid"},
            },
        )


async def on_opt_out_recorded(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[OptOutRecorded]]
) -> None:
    for tenant_id, messages in messages_by_tenant(batch).items():
        rows = [{"customer_id": str(m.customer_id), "channel": m.channel.value} for m in messages]
        await _apply(
            session,
            tenant_id,
            OPT_OUT,
            rows,
            messages,
            lambda m: {
                "summary": f"Opted out of {m.channel.value} ({m.source})"[:500],
                "data": {"channel": m.channel.value, "address": m.address, "source": m.source, "event": "opt_out"},
            },
        )
