"""A customer's reply (``messaging.reply_received``): on the timeline and a task for the collector (issue 10,
seed 003: every contact with the customer is in its log)."""

import uuid
from datetime import UTC, datetime

from shared.contracts.common import Channel
from shared.contracts.messaging import ReplyReceived
from shared.contracts.receivables import TaskChanged
from tests.receivables.helpers import customer, outbox, rows
from tests.receivables.test_consumers import deliver


def _reply(customer_id, body="Ya pagué la factura A-1 ayer por transferencia", **extra):
    return ReplyReceived(
        reply_id=uuid.uuid4(),
        customer_id=customer_id,
        channel=Channel.SMS,
        from_address="+5491155551234",
        body=body,
        in_reply_to=uuid.uuid4(),
        received_at=datetime(2026, 12, 6, 14, 30, tzinfo=UTC),
        **extra,
    )


async def test_a_reply_reaches_the_timeline_and_gives_the_collector_a_task_once(rc):
    c = await customer(rc, collector_id=str(rc.collector_id))
    reply = _reply(c["id"])
    envelope_id = uuid.uuid4()
    await deliver(rc, reply, ids={0: envelope_id})
    await deliver(rc, reply, ids={0: envelope_id})  # relayed twice: the inbox drops it
    await deliver(rc, reply)  # the same reply in another envelope: the task's key keeps it single

    (task,) = await rows(rc.stack, "SELECT * FROM receivables.tasks")
    assert task["title"] == f"{c['name']} replied by sms: Ya pagué la factura A-1 ayer por transferencia"
    assert (task["assignee_id"], task["due_date"], task["status"], task["source"]) == (
        rc.collector_id,
        rc.today,
        "open",
        "messaging",
    )
    assert len(await outbox(rc.stack, TaskChanged)) == 1
    timeline = (await rc.api.get(f"/v1/customers/{c['id']}/timeline?kind=reply_received", headers=rc.admin)).json()
    entry = timeline["items"][0]
    assert entry["data"]["from"] == "+5491155551234"
    assert entry["data"]["in_reply_to"] == str(reply.in_reply_to)
    assert "Ya pagué" in entry["summary"]


async def test_a_stop_reply_is_on_the_timeline_without_a_task(rc):
    c = await customer(rc)
    await deliver(rc, _reply(c["id"], body="BAJA", opt_out=True))
    assert await rows(rc.stack, "SELECT * FROM receivables.tasks") == []
    timeline = (await rc.api.get(f"/v1/customers/{c['id']}/timeline?kind=reply_received", headers=rc.admin)).json()
    (entry,) = timeline["items"]
    assert entry["data"]["opt_out"] is True


async def test_a_reply_from_an_unknown_customer_changes_nothing(rc):
    await deliver(rc, _reply(None), _reply(uuid.uuid4()))
    assert await rows(rc.stack, "SELECT * FROM receivables.tasks") == []
    assert await rows(rc.stack, "SELECT * FROM receivables.timeline_entries") == []
