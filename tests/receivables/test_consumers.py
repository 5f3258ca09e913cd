"""What receivables consumes: tenant profile, users, messages' delivery, invalid contacts, opt-outs, task commands."""

import uuid
from datetime import UTC, date, datetime, timedelta

from shared.contracts.common import Channel
from shared.contracts.gateway import TenantChanged, UserChanged
from shared.contracts.messaging import (
    CommunicationKind,
    ContactInvalidated,
    MessageState,
    MessageStatusChanged,
    OptOutRecorded,
)
from shared.contracts.receivables import CreateTask, CustomerChanged, TaskChanged
from shared.messages import Envelope, Message
from shared.outbox import HANDLE_MESSAGES, queue_name
from tests.receivables.helpers import customer, outbox, rows
from tests.support import run_worker


async def deliver(rc, *messages: Message, tenant_id=None, ids=None) -> None:
    """Deliver envelopes to receivables' queue as the relay would, and run its worker."""
    from services.receivables.worker import WorkerSettings

    envelopes = [
        Envelope.wrap(m, tenant_id or rc.tenant_id, (ids or {}).get(i)).model_dump(mode="json")
        for i, m in enumerate(messages)
    ]
    await rc.stack.arq.enqueue_job(HANDLE_MESSAGES, envelopes, _queue_name=queue_name("receivables"))
    await run_worker(WorkerSettings)


def _status(customer_id, message_id, state, minute, **extra):
    return MessageStatusChanged(
        message_id=message_id,
        idempotency_key="k",
        source="dunning",
        customer_id=customer_id,
        kind=CommunicationKind.OVERDUE,
        channel=Channel.EMAIL,
        to="pagos@cliente.example",
        subject="Facturas vencidas",
        state=state,
        occurred_at=datetime(2026, 11, 20, 10, minute, tzinfo=UTC),
        **extra,
    )


async def test_message_status_is_one_timeline_entry_updated_as_delivery_moves(rc):
    c = await customer(rc)
    message_id = uuid.uuid4()
    await deliver(
        rc, _status(c["id"], message_id, MessageState.QUEUED, 0), _status(c["id"], message_id, MessageState.SENT, 1)
    )
    await deliver(rc, _status(c["id"], message_id, MessageState.DELIVERED, 5))
    await deliver(rc, _status(c["id"], message_id, MessageState.SENT, 1))  # late duplicate state: older, ignored
    entries = (await rc.api.get(f"/v1/customers/{c['id']}/timeline?kind=message", headers=rc.admin)).json()["items"]
    (entry,) = entries
    assert entry["data"]["state"] == "delivered"
    assert entry["summary"] == "email to pagos@cliente.example: Facturas vencidas (delivered)"
    assert [s["state"] for s in entry["data"]["states"]] == ["queued", "sent", "delivered", "sent"]
    assert entry["occurred_at"].startswith("2026-11-20T10:00")


async def test_contact_invalidated_marks_it_and_announces_the_customer(rc):
    c = await customer(
        rc,
        contacts=[
            {"channel": "email", "address": "malo@cliente.example"},
            {"channel": "email", "address": "bueno@cliente.example"},
        ],
    )
    event = ContactInvalidated(customer_id=c["id"], channel=Channel.EMAIL, address="malo@cliente.example", reason="550")
    message_id = uuid.uuid4()
    await deliver(rc, event, ids={0: message_id})
    await deliver(rc, event, ids={0: message_id})  # the same message twice takes effect once
    got = (await rc.api.get(f"/v1/customers/{c['id']}", headers=rc.admin)).json()
    assert [(x["address"], x["invalid"]) for x in got["contacts"]] == [
        ("malo@cliente.example", True),
        ("bueno@cliente.example", False),
    ]
    assert got["revision"] == 2
    events = await outbox(rc.stack, CustomerChanged)
    assert [e.revision for e in events] == [1, 2]
    assert events[-1].contacts[0].invalid


async def test_opt_out_is_kept_and_announced(rc):
    c = await customer(rc, contacts=[{"channel": "sms", "address": "+5491155551234"}])
    await deliver(rc, OptOutRecorded(customer_id=c["id"], channel=Channel.SMS, address="+5491155551234", source="STOP"))
    got = (await rc.api.get(f"/v1/customers/{c['id']}", headers=rc.admin)).json()
    assert got["opted_out_channels"] == ["sms"]
    assert (await outbox(rc.stack, CustomerChanged))[-1].opted_out_channels == ["sms"]
    timeline = (await rc.api.get(f"/v1/customers/{c['id']}/timeline?kind=contact", headers=rc.admin)).json()
    assert timeline["items"][0]["summary"] == "Opted out of sms (STOP)"


async def test_create_task_command_is_idempotent_by_key(rc):
    c = await customer(rc, collector_id=str(rc.collector_id))
    command = CreateTask(
        idempotency_key="dunning:no-channel:1",
        customer_id=c["id"],
        title="Llamar: no queda canal",
        source="dunning",
    )
    await deliver(rc, command)
    await deliver(rc, command)  # another message, same key
    (task,) = await rows(rc.stack, "SELECT * FROM receivables.tasks")
    assert (task["assignee_id"], task["status"], task["source"], task["created_by"]) == (
        rc.collector_id,
        "open",
        "dunning",
        "service:dunning",
    )
    assert task["due_date"] == rc.today
    assert len(await outbox(rc.stack, TaskChanged)) == 1


async def test_tenant_profile_drives_today_and_holidays(rc):
    profile = TenantChanged(
        tenant_id=rc.tenant_id,
        slug=rc.tenant.slug,
        name="Otra",
        country="MX",
        timezone="Pacific/Kiritimati",
        default_currency="MXN",
        language="es",
    )
    await deliver(rc, profile)
    settings = (await rc.api.get("/v1/receivables-settings", headers=rc.admin)).json()
    kiritimati_today = datetime.now(UTC) + timedelta(hours=14)
    assert (settings["country"], settings["timezone"]) == ("MX", "Pacific/Kiritimati")
    assert date.fromisoformat(settings["today"]) == kiritimati_today.date()


async def test_a_collector_renamed_reannounces_its_customers(rc):
    c = await customer(rc, collector_id=str(rc.collector_id))
    users = await rows(rc.stack, "SELECT * FROM receivables.users WHERE user_id = :u", u=rc.collector_id)
    renamed = UserChanged(
        user_id=rc.collector_id, email=users[0]["email"], full_name="Carla Cobradora", roles=["collector"]
    )
    await deliver(rc, renamed)
    event = (await outbox(rc.stack, CustomerChanged))[-1]
    assert (str(event.customer_id), event.revision, event.collector.name) == (c["id"], 2, "Carla Cobradora")


async def test_an_invalid_address_sent_again_in_a_patch_stays_invalid(rc):
    c = await customer(rc, contacts=[{"channel": "email", "address": "malo@cliente.example"}])
    await deliver(
        rc, ContactInvalidated(customer_id=c["id"], channel=Channel.EMAIL, address="malo@cliente.example", reason="550")
    )
    contacts = [
        {"channel": "email", "address": "malo@cliente.example"},
        {"channel": "sms", "address": "+5491155551234"},
    ]
    patched = await rc.api.patch(f"/v1/customers/{c['id']}", json={"contacts": contacts}, headers=rc.admin)
    assert [(x["address"], x["invalid"]) for x in patched.json()["contacts"]] == [
        ("malo@cliente.example", True),
        ("+5491155551234", False),
    ]
