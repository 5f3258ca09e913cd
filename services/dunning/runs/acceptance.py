"""Messaging's answers to the communications dunning asked for, matched by idempotency key (issue 10).

- queued, deferred, sending: messaging holds the message. The dispatch is *accepted*, its steps stay pending
  (and no longer expire: only a dispatch nobody answered does); an action step opens its action item with the
  notice *pending*.
- sent, delivered, read: the steps are *done*; an action step stops the invoice's reminders, notice *sent*.
- failed, bounced (before or after sent: an SMS ``undelivered``, a late bounce): final. The steps are not done;
  the same communication falls back at once to the next channel or contact (``runs/fallback.py``), or, with
  none left, to a task for the collector.

Each message counts by its most advanced state in the batch (failed and bounced are last: they are final), and
every transition is guarded by the dispatch's current state, so a batch may arrive twice, out of order or in
any size: one statement per kind of transition.
"""

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.dunning.action_items.service import create_from_dispatches, sync_notice_states
from services.dunning.runs.executor import record_steps_done
from services.dunning.runs.fallback import fall_back
from shared.contracts.messaging import MessageState, MessageStatusChanged
from shared.inbox import Received

HELD = frozenset({MessageState.QUEUED, MessageState.DEFERRED, MessageState.SENDING})
SENT = frozenset({MessageState.SENT, MessageState.DELIVERED, MessageState.READ})
FAILED = frozenset({MessageState.FAILED, MessageState.BOUNCED})
# Later states win; a delivery report never moves a message back, and a failure is final.
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
_HELD_STEPS = text(
    """
UPDATE dunning.invoices i SET pending_accepted = true
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
WHERE d.tenant_id = u.tenant_id AND d.idempotency_key = u.key AND d.channel IS NOT NULL
  AND u.rank > CASE d.delivery_state WHEN 'queued' THEN 1 WHEN 'deferred' THEN 2 WHEN 'sending' THEN 3
                 WHEN 'sent' THEN 4 WHEN 'delivered' THEN 5 WHEN 'read' THEN 6 WHEN 'failed' THEN 7
                 WHEN 'bounced' THEN 7 ELSE 0 END
"""
)


def latest(batch: list[Received[MessageStatusChanged]]) -> list[tuple[uuid.UUID, MessageStatusChanged]]:
    """Per message of dunning's, the most advanced state of the batch."""
    best: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, MessageStatusChanged]] = {}
    for r in batch:
        if r.message.source != "dunning":
            continue
        key = (r.tenant_id, r.message.idempotency_key)
        current = best.get(key)
        if current is None or RANK[r.message.state.value] >= RANK[current[1].state.value]:
            best[key] = (r.tenant_id, r.message)
    return list(best.values())


def _error(m: MessageStatusChanged) -> str | None:
    if m.error_code and m.error and m.error_code not in m.error:
        return f"{m.error_code}: {m.error}"
    return m.error or m.error_code


async def _transition(
    session: AsyncSession, statement: Any, messages: list[tuple[uuid.UUID, MessageStatusChanged]]
) -> list[Any]:
    if not messages:
        return []
    params = {
        "tenants": [t for t, _ in messages],
        "keys": [m.idempotency_key for _, m in messages],
        "message_ids": [m.message_id for _, m in messages],
        "errors": [_error(m) for _, m in messages],
    }
    return list((await session.execute(statement, params)).all())


def _steps(rows: list[Any]) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, bool]]:
    return [
        (row.tenant_id, invoice_id, step, invoice_id in row.action_invoice_ids)
        for row in rows
        for invoice_id, step in zip(row.invoice_ids, row.step_ids, strict=True)
    ]


async def on_message_status_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[MessageStatusChanged]]
) -> None:
    messages = latest(batch)
    held = await _transition(session, _HOLD, [(t, m) for t, m in messages if m.state in HELD])
    if held:
        steps = _steps(held)
        await session.execute(
            _HELD_STEPS,
            {"tenants": [s[0] for s in steps], "invoices": [s[1] for s in steps], "steps": [s[2] for s in steps]},
        )
    sent = await _transition(session, _SEND, [(t, m) for t, m in messages if m.state in SENT])
    await record_steps_done(session, _steps(sent))
    failed = await _transition(session, _FAIL, [(t, m) for t, m in messages if m.state in FAILED])
    if messages:  # what messaging last said, shown by explain
        await session.execute(
            _DELIVERY,
            {
                "tenants": [t for t, _ in messages],
                "keys": [m.idempotency_key for _, m in messages],
                "states": [m.state.value for _, m in messages],
                "ranks": [RANK[m.state.value] for _, m in messages],
                "errors": [_error(m) for _, m in messages],
            },
        )
    # an action item opens once messaging holds (or sent) the notice; a failure first tries the fallback
    await create_from_dispatches(session, [row.id for row in [*held, *sent] if row.action_invoice_ids])
    await sync_notice_states(session, [row.id for row in [*held, *sent, *failed] if row.action_invoice_ids])
    await fall_back(session, failed)
