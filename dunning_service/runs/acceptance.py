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

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.action_items.service import create_from_dispatches, sync_notice_states
from dunning_service.runs import dispatch_repository as repository
from dunning_service.runs.fallback import fall_back
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


def _answers(messages: list[tuple[uuid.UUID, MessageStatusChanged]]) -> list[repository.Answer]:
    return [repository.Answer(t, m.idempotency_key, m.message_id, _error(m)) for t, m in messages]


def _steps(rows: list[repository.AnsweredDispatch]) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, bool]]:
    return [
        (row.tenant_id, invoice_id, step, invoice_id in row.action_invoice_ids)
        for row in rows
        for invoice_id, step in zip(row.invoice_ids, row.step_ids, strict=True)
    ]


async def on_message_status_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[MessageStatusChanged]]
) -> None:
    messages = latest(batch)
    held = await repository.hold(session, _answers([(t, m) for t, m in messages if m.state in HELD]))
    await repository.record_steps_accepted(session, [s[:3] for s in _steps(held)])
    sent = await repository.send(session, _answers([(t, m) for t, m in messages if m.state in SENT]))
    await repository.record_steps_done(session, _steps(sent))
    failed = await repository.fail(session, _answers([(t, m) for t, m in messages if m.state in FAILED]))
    # what messaging last said, shown by explain
    await repository.record_delivery(session, _answers(messages), [m.state.value for _, m in messages], RANK)
    # an action item opens once messaging holds (or sent) the notice; a failure first tries the fallback
    await create_from_dispatches(session, [row.id for row in [*held, *sent] if row.action_invoice_ids])
    await sync_notice_states(session, [row.id for row in [*held, *sent, *failed] if row.action_invoice_ids])
    await fall_back(session, failed)
