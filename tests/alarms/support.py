"""Helpers for the alarms tests: tenants and users announced the real way (gateway outbox -> relay -> the
alarms worker), receivables' and dunning's events fed through alarms' real inbox, runs, and the commands alarms
hands to messaging."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text

from alarms_service.settings import AlarmsSettings
from alarms_service.worker import HANDLERS, WorkerSettings
from services.receivables.worker import WorkerSettings as ReceivablesWorker
from shared.contracts.dunning import ActionItemChanged
from shared.contracts.messaging import Communication, SendCommunications
from shared.contracts.receivables import CustomerChanged, InvoiceChanged, PromiseBroken
from shared.inbox import process_batch
from shared.internal import InternalClient
from shared.messages import Envelope, Message
from shared.outbox import relay_once
from tests.support import RoutingTransport, Stack, TenantCtx, create_tenant, create_user, run_worker, with_client


def routed_receivables(stack: Stack) -> InternalClient:
    """Alarms' client of receivables' API, routed to the in-process receivables app."""
    http = httpx.AsyncClient(transport=RoutingTransport(stack.services))
    return InternalClient(http, AlarmsSettings(receivables_url="http://receivables.test"))


async def relay(stack: Stack, *schemas: str) -> None:
    for schema in schemas:
        while await relay_once(stack.engine, stack.arq, schema):
            pass


def receivables_routed(stack: Stack) -> dict[str, Any]:
    """``run_worker`` options that give the alarms worker its client of receivables routed in-process."""
    return with_client(WorkerSettings, "receivables", lambda: routed_receivables(stack))


async def alarms_worker(stack: Stack) -> None:
    """The alarms worker until its queue is empty, with receivables' API routed in-process."""
    await run_worker(WorkerSettings, **receivables_routed(stack))


async def deliver_gateway(stack: Stack) -> None:
    """The gateway's tenant and user events reach receivables and alarms."""
    await relay(stack, "gateway")
    await run_worker(ReceivablesWorker)
    await alarms_worker(stack)


async def alarms_tenant(api: httpx.AsyncClient, stack: Stack, **overrides: Any) -> TenantCtx:
    tenant = await create_tenant(api, **overrides)
    await deliver_gateway(stack)
    return tenant


async def collector(api: httpx.AsyncClient, stack: Stack, tenant: TenantCtx) -> tuple[dict, dict[str, str]]:
    """A collector user, known to receivables and alarms."""
    user, headers = await create_user(api, tenant, "collector")
    await deliver_gateway(stack)
    return user, headers


async def feed(stack: Stack, tenant_id: uuid.UUID | None, messages: list[Message], at: datetime | None = None) -> int:
    """Messages through alarms' inbox exactly as its worker handles them."""
    envelopes = []
    for m in messages:
        envelope = Envelope.wrap(m, tenant_id)
        if at is not None:
            envelope = envelope.model_copy(update={"occurred_at": at})
        envelopes.append(envelope.model_dump(mode="json"))
    sessionmaker = stack.services["alarms"].state.sessionmaker
    return await process_batch({}, sessionmaker, "alarms", HANDLERS, envelopes)


class Portfolio:
    """Receivables' and dunning's side: customers, invoices with growing revisions, broken promises and action
    items, announced through alarms' inbox."""

    def __init__(self, stack: Stack, tenant_id: uuid.UUID) -> None:
        self.stack = stack
        self.tenant_id = tenant_id
        self.customers: dict[str, CustomerChanged] = {}
        self.invoices: dict[str, InvoiceChanged] = {}

    async def customer(self, name: str, collector_id: uuid.UUID | str | None, **fields: Any) -> uuid.UUID:
        event = CustomerChanged(
            customer_id=uuid.uuid4(),
            revision=1,
            name=name,
            external_id=f"EXT-{name[:8]}",
            collector_id=uuid.UUID(str(collector_id)) if collector_id else None,
            **fields,
        )
        self.customers[name] = event
        await feed(self.stack, self.tenant_id, [event])
        return event.customer_id

    async def change_customer(self, name: str, **changes: Any) -> None:
        current = self.customers[name]
        event = CustomerChanged.model_validate({**current.model_dump(), **changes, "revision": current.revision + 1})
        self.customers[name] = event
        await feed(self.stack, self.tenant_id, [event])

    async def invoice(
        self,
        customer: str,
        number: str,
        amount: str = "1000.00",
        currency: str = "ARS",
        due: date = date(2026, 10, 1),
        at: datetime | None = None,
        **fields: Any,
    ) -> uuid.UUID:
        event = InvoiceChanged(
            invoice_id=uuid.uuid4(),
            revision=1,
            customer_id=self.customers[customer].customer_id,
            number=number,
            currency=currency,
            amount=Decimal(amount),
            open_amount=Decimal(fields.pop("open_amount", amount)),
            issue_date=date(2026, 9, 1),
            due_date=due,
            status=fields.pop("status", "normal"),
            **fields,
        )
        self.invoices[number] = event
        await feed(self.stack, self.tenant_id, [event], at=at)
        return event.invoice_id

    async def change_invoice(self, number: str, at: datetime | None = None, **changes: Any) -> None:
        current = self.invoices[number]
        event = InvoiceChanged.model_validate({**current.model_dump(), **changes, "revision": current.revision + 1})
        self.invoices[number] = event
        await feed(self.stack, self.tenant_id, [event], at=at)

    async def break_promise(
        self, number: str, promised: date, broken_on: date, collector_id: uuid.UUID | str | None = None
    ) -> uuid.UUID:
        """Receivables breaks the promise: the invoice back to ``normal`` and ``promise_broken``."""
        invoice = self.invoices[number]
        await self.change_invoice(number, status="normal", promised_date=None)
        event = PromiseBroken(
            promise_id=uuid.uuid4(),
            invoice_id=invoice.invoice_id,
            customer_id=invoice.customer_id,
            collector_id=uuid.UUID(str(collector_id)) if collector_id else None,
            promised_date=promised,
            broken_on=broken_on,
            currency=invoice.currency,
            open_amount=invoice.open_amount,
        )
        await feed(self.stack, self.tenant_id, [event])
        return event.promise_id

    async def action_item(
        self,
        customer: str,
        numbers: list[str],
        action: str = "suspend_service",
        created_on: date = date(2026, 11, 20),
        status: str = "open",
        assignee_id: uuid.UUID | str | None = None,
        item_id: uuid.UUID | None = None,
        at: datetime | None = None,
        notice_state: str | None = None,
    ) -> uuid.UUID:
        event = ActionItemChanged(
            action_item_id=item_id or uuid.uuid4(),
            customer_id=self.customers[customer].customer_id,
            invoice_ids=[self.invoices[n].invoice_id for n in numbers],
            action=action,
            status=status,
            assignee_id=uuid.UUID(str(assignee_id)) if assignee_id else None,
            created_on=created_on,
            notice_state=notice_state,
        )
        await feed(self.stack, self.tenant_id, [event], at=at or datetime.now(UTC))
        return event.action_item_id


async def run(api: httpx.AsyncClient, headers: dict[str, str], rows: bool = False, **body: Any) -> dict[str, Any]:
    params = {"include_rows": "true"} if rows else {}
    response = await api.post("/v1/alarms/runs", json=body, headers=headers, params=params)
    assert response.status_code == 201, response.text
    return response.json()


async def sent_communications(stack: Stack) -> list[Communication]:
    """The communications alarms handed to messaging (its outbox), in order."""
    async with stack.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT payload FROM alarms.outbox WHERE message_type = :t ORDER BY seq"),
                {"t": SendCommunications.message_type},
            )
        ).scalars()
        return [c for payload in rows for c in SendCommunications.model_validate(payload).communications]


def lines_to(communications: list[Communication], email: str) -> list[str]:
    (only,) = [c for c in communications if c.to == email]
    return list(only.data["lines"])
