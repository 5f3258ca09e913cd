"""Messaging's answers to the communications a run asked for, matched by idempotency key.

Acceptance (queued, deferred, sending, sent, delivered, read) records the dispatch's steps as done on
their invoices; an action step then stops the invoice's reminders and opens its action item. A failure
before acceptance (failed, bounced) releases the steps, so the next run tries again. Whatever arrives after
acceptance only updates the delivery state shown by explain. All set-based, for any batch size.
"""

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.action_items.service import create_from_dispatches
from dunning_service.runs.executor import record_steps_done
from shared.contracts.messaging import MessageState, MessageStatusChanged
from shared.inbox import Received

ACCEPTED = frozenset(
    {
        MessageState.QUEUED,
        MessageState.DEFERRED,
        MessageState.SENDING,
        MessageState.SENT,
        MessageState.DELIVERED,
        MessageState.READ,
    }
)
REJECTED = frozenset({MessageState.FAILED, MessageState.BOUNCED})
# Later states win; a delivery report never moves a message back.
RANK = {
    "queued": 1,
    "deferred": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "read": 6,
    "failed": 7,
    "bounced": 7,
}

_ACCEPT = text(
    """
UPDATE dunning.dispatches d
SET state = 'accepted', message_id = u.message_id, delivery_state = u.state, resolved_at = now(), error = NULL
FROM unnest(CAST(:tenants AS uuid[]), CAST(:keys AS text[]), CAST(:message_ids AS uuid[]), CAST(:states AS text[]))
     AS u(tenant_id, key, message_id, state)
WHERE d.tenant_id = u.tenant_id AND d.idempotency_key = u.key AND d.state IN ('pending', 'failed')
RETURNING d.id, d.tenant_id, d.invoice_ids, d.step_ids, d.action_invoice_ids
"""
)
_REJECT = text(
    """
UPDATE dunning.dispatches d
SET state = 'failed', message_id = u.message_id, delivery_state = u.state, error = u.error, resolved_at = now()
FROM unnest(CAST(:tenants AS uuid[]), CAST(:keys AS text[]), CAST(:message_ids AS uuid[]), CAST(:states AS text[]),
            CAST(:errors AS text[])) AS u(tenant_id, key, message_id, state, error)
WHERE d.tenant_id = u.tenant_id AND d.idempotency_key = u.key AND d.state = 'pending'
RETURNING d.tenant_id, d.invoice_ids, d.step_ids
"""
)
_RELEASE = text(
    """
UPDATE dunning.invoices i SET pending_step_id = NULL, pending_since = NULL
FROM unnest(CAST(:tenants AS uuid[]), CAST(:invoices AS uuid[]), CAST(:steps AS uuid[]))
     AS u(tenant_id, invoice_id, step)
WHERE i.tenant_id = u.tenant_id AND i.id = u.invoice_id AND i.pending_step_id = u.step
"""
)
_DELIVERY = text(
    """
UPDATE dunning.dispatches d
SET delivery_state = u.state, error = coalesce(u.error, d.error)
FROM unnest(CAST(:tenants AS uuid[]), CAST(:keys AS text[]), CAST(:states AS text[]), CAST(:ranks AS int[]),
            CAST(:errors AS text[])) AS u(tenant_id, key, state, rank, error)
WHERE d.tenant_id = u.tenant_id AND d.idempotency_key = u.key AND d.state = 'accepted'
  AND u.rank > CASE d.delivery_state WHEN 'queued' THEN 1 WHEN 'deferred' THEN 2 WHEN 'sending' THEN 3
                 WHEN 'sent' THEN 4 WHEN 'delivered' THEN 5 WHEN 'read' THEN 6 WHEN 'failed' THEN 7
                 WHEN 'bounced' THEN 7 ELSE 0 END
"""
)


def _latest(batch: list[Received[MessageStatusChanged]]) -> list[tuple[uuid.UUID, MessageStatusChanged]]:
    """Per message, the most advanced state of the batch."""
    best: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, MessageStatusChanged]] = {}
    for r in batch:
        if r.message.source != "dunning":
            continue
        key = (r.tenant_id, r.message.idempotency_key)
        current = best.get(key)
        if current is None or RANK[r.message.state.value] >= RANK[current[1].state.value]:
            best[key] = (r.tenant_id, r.message)
    return list(best.values())


async def on_message_status_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[MessageStatusChanged]]
) -> None:
    latest = _latest(batch)
    # Any accepted state in the batch accepts the message, even if a later report in it says failed.
    accepted_keys = {
        (r.tenant_id, r.message.idempotency_key)
        for r in batch
        if r.message.source == "dunning" and r.message.state in ACCEPTED
    }
    accepted = [(t, m) for t, m in latest if (t, m.idempotency_key) in accepted_keys]
    rejected = [(t, m) for t, m in latest if m.state in REJECTED and (t, m.idempotency_key) not in accepted_keys]
    if accepted:
        rows = (
            await session.execute(
                _ACCEPT,
                {
                    "tenants": [t for t, _ in accepted],
                    "keys": [m.idempotency_key for _, m in accepted],
                    "message_ids": [m.message_id for _, m in accepted],
                    "states": [m.state.value for _, m in accepted],
                },
            )
        ).all()
        steps = [
            (row.tenant_id, invoice_id, step, invoice_id in row.action_invoice_ids)
            for row in rows
            for invoice_id, step in zip(row.invoice_ids, row.step_ids, strict=True)
        ]
        await record_steps_done(session, steps)
        await create_from_dispatches(session, [row.id for row in rows if row.action_invoice_ids])
    if rejected:
        rows = (
            await session.execute(
                _REJECT,
                {
                    "tenants": [t for t, _ in rejected],
                    "keys": [m.idempotency_key for _, m in rejected],
                    "message_ids": [m.message_id for _, m in rejected],
                    "states": [m.state.value for _, m in rejected],
                    "errors": [m.error for _, m in rejected],
                },
            )
        ).all()
        released = [
            (row.tenant_id, invoice_id, step)
            for row in rows
            for invoice_id, step in zip(row.invoice_ids, row.step_ids, strict=True)
        ]
        if released:
            await session.execute(
                _RELEASE,
                {
                    "tenants": [r[0] for r in released],
                    "invoices": [r[1] for r in released],
                    "steps": [r[2] for r in released],
                },
            )
    if latest:  # delivery progress of messages accepted earlier (or just now)
        await session.execute(
            _DELIVERY,
            {
                "tenants": [t for t, _ in latest],
                "keys": [m.idempotency_key for _, m in latest],
                "states": [m.state.value for _, m in latest],
                "ranks": [RANK[m.state.value] for _, m in latest],
                "errors": [m.error for _, m in latest],
            },
        )
