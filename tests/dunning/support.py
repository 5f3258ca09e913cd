"""Helpers for dunning's API tests: receivables' events fed through dunning's real inbox, a stand-in for
messaging that reads the commands from dunning's outbox and answers with status events, and runs."""

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text

from dunning_service.worker import HANDLERS, WorkerSettings
from messaging_service.delivery.dispatched import dispatched_communications
from services.receivables.worker import WorkerSettings as ReceivablesWorker
from shared.contracts.common import ContactPoint, Person
from shared.contracts.messaging import (
    Communication,
    MessageStatusChanged,
    SendCommunications,
    SendDispatchedCommunications,
)
from shared.contracts.receivables import CreateTask, CustomerChanged, InvoiceChanged
from shared.inbox import process_batch
from shared.messages import Envelope, Message
from shared.outbox import relay_once
from tests.messaging.support import routed_dunning
from tests.support import Stack, TenantCtx, create_tenant, run_worker

STANDARD_STEPS = [
    {"key": "new", "kind": "new_invoice", "channels": ["email"]},
    {"key": "pre-3", "kind": "pre_due", "days": 3, "channels": ["email"]},
    {"key": "od-1", "kind": "overdue", "days": 1, "tone": 1, "channels": ["email", "sms"]},
    {"key": "od-15", "kind": "overdue", "days": 15, "tone": 2, "channels": ["whatsapp", "email", "sms"]},
    {"key": "od-30", "kind": "overdue", "days": 30, "tone": 3, "channels": ["email", "sms"]},
    {"key": "legal-45", "kind": "action", "days": 45, "action": "legal", "channels": ["email", "sms"]},
]


async def dunning_tenant(api: httpx.AsyncClient, stack: Stack, **overrides: Any) -> TenantCtx:
    """A tenant, announced to dunning the real way: gateway outbox -> relay -> dunning's worker."""
    tenant = await create_tenant(api, **overrides)
    while await relay_once(stack.engine, stack.arq, "gateway"):
        pass
    await run_worker(WorkerSettings)
    return tenant


async def set_action_owner(api: httpx.AsyncClient, stack: Stack, tenant: TenantCtx, owner_id: str | None) -> None:
    """The tenant's action owner, set where it lives (receivables' settings) and announced to dunning the real way:
    receivables outbox -> relay -> dunning's worker (issue 16: one owner per setting)."""
    response = await api.patch("/v1/receivables-settings", json={"action_owner_id": owner_id}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    while await relay_once(stack.engine, stack.arq, "receivables"):
        pass
    await run_worker(WorkerSettings)


async def create_strategy(api: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {"name": "Standard", "priority": 100, "is_default": True, "steps": STANDARD_STEPS, **body}
    response = await api.post("/v1/strategies", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def feed(stack: Stack, tenant_id: uuid.UUID | None, messages: list[Message]) -> int:
    """Messages through dunning's inbox exactly as its worker handles them."""
    envelopes = [Envelope.wrap(m, tenant_id).model_dump(mode="json") for m in messages]
    sessionmaker = stack.services["dunning"].state.sessionmaker
    return await process_batch({}, sessionmaker, "dunning", HANDLERS, envelopes)


class Portfolio:
    """Receivables' side: snapshots with growing revisions, announced as ``customer_changed`` and
    ``invoice_changed`` events."""

    def __init__(self, stack: Stack, tenant_id: uuid.UUID) -> None:
        self.stack = stack
        self.tenant_id = tenant_id
        self.customers: dict[uuid.UUID, CustomerChanged] = {}
        self.invoices: dict[uuid.UUID, InvoiceChanged] = {}
        self.by_number: dict[str, uuid.UUID] = {}

    async def customer(
        self,
        name: str,
        email: str | None = None,
        sms: str | None = None,
        whatsapp: str | None = None,
        **fields: Any,
    ) -> uuid.UUID:
        contacts = [
            ContactPoint(channel=channel, address=address)
            for channel, address in (("email", email), ("sms", sms), ("whatsapp", whatsapp))
            if address
        ]
        event = CustomerChanged(
            customer_id=uuid.uuid4(),
            revision=1,
            name=name,
            contacts=contacts,
            country="AR",
            language="es",
            collector_id=uuid.uuid4(),
            collector=Person(name="Carla Cobradora", email="carla@empresa.example"),
            advisor=Person(name="Andrés Asesor", phone="+5491155550001", whatsapp="+5491155550001"),
            supervisor=Person(name="Susana Supervisora", email="susana@empresa.example"),
            **fields,
        )
        self.customers[event.customer_id] = event
        await feed(self.stack, self.tenant_id, [event])
        return event.customer_id

    async def change_customer(self, customer_id: uuid.UUID, **changes: Any) -> None:
        current = self.customers[customer_id]
        event = CustomerChanged.model_validate({**current.model_dump(), **changes, "revision": current.revision + 1})
        self.customers[customer_id] = event
        await feed(self.stack, self.tenant_id, [event])

    async def invoice(
        self,
        customer_id: uuid.UUID,
        number: str,
        due: date,
        issue: date | None = None,
        amount: str = "1000.00",
        currency: str = "ARS",
        **fields: Any,
    ) -> uuid.UUID:
        event = InvoiceChanged(
            invoice_id=uuid.uuid4(),
            revision=1,
            customer_id=customer_id,
            number=number,
            currency=currency,
            amount=Decimal(amount),
            open_amount=Decimal(fields.pop("open_amount", amount)),
            issue_date=issue or due,
            due_date=due,
            status=fields.pop("status", "normal"),
            **fields,
        )
        self.invoices[event.invoice_id] = event
        self.by_number[number] = event.invoice_id
        await feed(self.stack, self.tenant_id, [event])
        return event.invoice_id

    async def change_invoice(self, number: str, **changes: Any) -> None:
        invoice_id = self.by_number[number]
        current = self.invoices[invoice_id]
        event = InvoiceChanged.model_validate({**current.model_dump(), **changes, "revision": current.revision + 1})
        self.invoices[invoice_id] = event
        await feed(self.stack, self.tenant_id, [event])


class Messaging:
    """Stands in for the messaging service: takes the commands dunning wrote to its outbox (what the relay
    would deliver) and answers with ``message_status_changed`` events through dunning's inbox."""

    def __init__(self, stack: Stack, tenant_id: uuid.UUID) -> None:
        self.stack = stack
        self.tenant_id = tenant_id
        self.last_seq = 0
        self.accepted_keys: set[str] = set()
        self.sent: list[Communication] = []  # every communication accepted, in order
        self.tasks: list[CreateTask] = []
        self.events: list[dict[str, Any]] = []

    async def take(self) -> list[Communication]:
        """New commands since the last call; every payload must validate against the contract."""
        async with self.stack.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT seq, message_type, payload FROM dunning.outbox "
                        "WHERE seq > :seq AND tenant_id = :t ORDER BY seq"
                    ),
                    {"seq": self.last_seq, "t": self.tenant_id},
                )
            ).all()
        communications = []
        dunning = routed_dunning(self.stack)
        try:
            for row in rows:
                self.last_seq = max(self.last_seq, row.seq)
                if row.message_type == SendCommunications.message_type:
                    communications.extend(SendCommunications.model_validate(row.payload).communications)
                elif row.message_type == SendDispatchedCommunications.message_type:  # a run's, asked as messaging
                    ids = SendDispatchedCommunications.model_validate(row.payload).dispatch_ids
                    built = await dispatched_communications(dunning, self.tenant_id, ids)
                    assert len(built) == len(ids), "dunning built every dispatch named"
                    communications.extend(Communication.model_validate(c) for c in built)
                elif row.message_type == CreateTask.message_type:
                    self.tasks.append(CreateTask.model_validate(row.payload))
                else:
                    self.events.append({"type": row.message_type, **row.payload})
        finally:
            await dunning.http.aclose()
        return communications

    async def answer(
        self,
        communications: list[Communication],
        state: str = "queued",
        error: str | None = None,
        error_code: str | None = None,
    ) -> None:
        events = [
            MessageStatusChanged(
                message_id=uuid.uuid5(uuid.NAMESPACE_URL, c.idempotency_key),
                idempotency_key=c.idempotency_key,
                source=c.source,
                source_ref=c.source_ref,
                customer_id=c.customer.customer_id if c.customer else None,
                kind=c.kind,
                channel=c.channel,
                to=c.to,
                invoice_ids=[i.invoice_id for i in c.invoices],
                state=state,
                error=error,
                error_code=error_code,
                occurred_at=datetime.now(UTC),
            )
            for c in communications
        ]
        if events:
            await feed(self.stack, self.tenant_id, events)
        if state in ("queued", "deferred", "sending", "sent", "delivered", "read"):
            for c in communications:
                if c.idempotency_key not in self.accepted_keys:
                    self.accepted_keys.add(c.idempotency_key)
                    self.sent.append(c)

    async def take_and_accept(self) -> list[Communication]:
        """New commands, accepted (queued) and then sent, as messaging reports a message that went out."""
        communications = await self.take()
        await self.answer(communications)
        await self.answer(communications, state="sent")
        return communications


async def real_run(api: httpx.AsyncClient, headers: dict[str, str], day: date) -> dict[str, Any]:
    """``POST /v1/dunning-runs`` then the worker executes it (burst)."""
    response = await api.post("/v1/dunning-runs", json={"as_of": day.isoformat()}, headers=headers)
    assert response.status_code == 202, response.text
    await run_worker(WorkerSettings)
    run = await api.get(f"/v1/dunning-runs/{response.json()['id']}", headers=headers)
    assert run.status_code == 200, run.text
    return run.json()


async def post_dry_run(api: httpx.AsyncClient, headers: dict[str, str], day: date, **params: Any) -> httpx.Response:
    """``POST /v1/dunning-runs`` for a dry run while the worker (burst, started again until the request answers)
    computes it, as a running worker would."""
    request = asyncio.create_task(
        api.post("/v1/dunning-runs", json={"as_of": day.isoformat(), "dry_run": True}, headers=headers, params=params)
    )
    while not request.done():
        await run_worker(WorkerSettings)
        await asyncio.sleep(0.01)
    return request.result()


async def dry_run(api: httpx.AsyncClient, headers: dict[str, str], day: date, **params: Any) -> dict[str, Any]:
    """A dry run's answer with its plan: 201 at once, or (a slow machine) 202 and then the run, polled."""
    response = await post_dry_run(api, headers, day, **params)
    if response.status_code == 202:
        await run_worker(WorkerSettings)
        response = await api.get(response.headers["location"], headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] in ("completed", "skipped"), response.text
        return response.json()
    assert response.status_code == 201, response.text
    return response.json()


async def deliver(stack: Stack, *schemas: str) -> None:
    """With the real receivables: relay the outboxes of ``schemas`` (the gateway's and receivables' by default),
    then let receivables' and dunning's workers take what reached their queues."""
    for schema in schemas or ("gateway", "receivables"):
        while await relay_once(stack.engine, stack.arq, schema):
            pass
    await run_worker(ReceivablesWorker)
    await run_worker(WorkerSettings)
