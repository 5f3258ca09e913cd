"""Helpers for the receivables tests: a tenant with people, projections synced, factories, outbox readers."""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from sqlalchemy import text

from shared.contracts.receivables import CustomerChanged, CustomersChanged, InvoiceChanged, InvoicesChanged
from shared.messages import REGISTRY, Message
from shared.outbox import envelopes_of, relay_once
from tests.support import Stack, TenantCtx, create_api_key, create_tenant, create_user, run_worker


async def sync(stack: Stack) -> None:
    """Deliver the gateway's events (tenant, users) and the other services' to receivables, and process them."""
    from services.receivables.worker import WorkerSettings

    for schema in ("gateway", "messaging", "dunning"):
        while await relay_once(stack.engine, stack.arq, schema):
            pass
    await run_worker(WorkerSettings)


@dataclass
class Ctx:
    api: httpx.AsyncClient
    stack: Stack
    tenant: TenantCtx
    admin: dict[str, str]
    erp: dict[str, str]
    collector: dict[str, str]
    collector_id: uuid.UUID
    today: date
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.id


async def setup_tenant(api: httpx.AsyncClient, stack: Stack, **tenant: Any) -> Ctx:
    created = await create_tenant(api, **tenant)
    user, collector = await create_user(api, created, "collector")
    erp = await create_api_key(api, created, rate_limit_per_minute=100000)
    await sync(stack)
    settings = (await api.get("/v1/receivables-settings", headers=created.admin)).json()
    return Ctx(
        api, stack, created, created.admin, erp, collector, uuid.UUID(user["id"]), date.fromisoformat(settings["today"])
    )


async def post(api: httpx.AsyncClient, path: str, headers: dict[str, str], body: Any, expect: int = 201) -> Any:
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def customer(ctx: Ctx, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Cliente {uuid.uuid4().hex[:6]}", "external_id": f"C-{uuid.uuid4().hex[:8]}", **fields}
    return await post(ctx.api, "/v1/customers", ctx.admin, body)


async def invoice(ctx: Ctx, customer_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "customer_id": customer_id,
        "number": f"A-{uuid.uuid4().hex[:6]}",
        "currency": "ARS",
        "amount": "1000.00",
        "issue_date": "2025-06-01",
        "due_date": "2026-02-01",
        **fields,
    }
    return await post(ctx.api, "/v1/invoices", ctx.admin, body)


async def post_refresh(api: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    """``POST /v1/warning-signs/refresh`` while receivables' worker (burst, started again until the request answers)
    computes the refresh, as a running worker would."""
    from services.receivables.worker import WorkerSettings

    request = asyncio.create_task(api.post("/v1/warning-signs/refresh", json={}, headers=headers))
    while not request.done():
        await run_worker(WorkerSettings)
        await asyncio.sleep(0.01)
    return request.result()


async def refresh_signs(api: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """A refresh of the tenant's warning signs through the API, completed: answered at once (200), or (a slow
    machine, past the service's wait) 202 and then the refresh, polled once the worker is done."""
    from services.receivables.worker import WorkerSettings

    response = await post_refresh(api, headers)
    if response.status_code == 202:
        await run_worker(WorkerSettings)
        response = await api.get(response.headers["location"], headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed", response.text
    body: dict[str, Any] = response.json()
    return body


# The outbox's rows as the relay reads them (with the stored size it weighs envelopes by).
OUTBOX_ROWS = "SELECT *, pg_column_size(payload) AS stored_bytes FROM receivables.outbox"


async def outbox(stack: Stack, message: type[Message] | None = None) -> list[Any]:
    """Messages in receivables' outbox (in order), opened as their contract classes, as the relay would send them
    now (a deferred row gives what the relay builds from it: a bulk write's ``InvoicesChanged``)."""
    async with stack.engine.connect() as conn:
        rows = (await conn.execute(text(OUTBOX_ROWS + " ORDER BY seq"))).all()
        envelopes = [e for row in rows for e in await envelopes_of(conn, row)]
    opened = [REGISTRY[(e["type"], e["version"])].model_validate(e["payload"]) for e in envelopes]
    return [m for m in opened if message is None or isinstance(m, message)]


async def invoice_announcements(stack: Stack) -> list[InvoiceChanged]:
    """Every announcement of an invoice in receivables' outbox, in order, as an ``InvoiceChanged``: the single
    ones, and each snapshot of a bulk write's ``InvoicesChanged`` with the batch's reason."""
    announced = []
    for m in await outbox(stack):
        if isinstance(m, InvoiceChanged):
            announced.append(m)
        elif isinstance(m, InvoicesChanged):
            announced.extend(InvoiceChanged(**s.model_dump(), reason=m.reason) for s in m.snapshots())
    return announced


async def customer_announcements(stack: Stack) -> list[CustomerChanged]:
    """Every announcement of a customer in receivables' outbox, in order, as a ``CustomerChanged``: the single
    ones, and each snapshot of a bulk write's ``CustomersChanged``."""
    announced = []
    for m in await outbox(stack):
        if isinstance(m, CustomerChanged):
            announced.append(m)
        elif isinstance(m, CustomersChanged):
            announced.extend(CustomerChanged(**s.model_dump()) for s in m.customers)
    return announced


async def scalar(stack: Stack, sql: str, **params: Any) -> Any:
    async with stack.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def rows(stack: Stack, sql: str, **params: Any) -> list[Any]:
    async with stack.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).mappings().all())


async def execute(stack: Stack, sql: str, **params: Any) -> None:
    async with stack.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def promises_made_earlier(ctx: Ctx, days: int) -> None:
    """Every promise (and its invoice's promised date) as if made ``days`` earlier: a real check only looks at days
    that have ended (issue 10: no future as-of date), so a test moves the promise back instead of the check forward."""
    async with ctx.stack.engine.begin() as conn:
        for table in ("promises", "invoices"):
            await conn.execute(
                text(
                    f"UPDATE receivables.{table} SET promised_date = promised_date - CAST(:days AS int) "
                    "WHERE promised_date IS NOT NULL"
                ),
                {"days": days},
            )
