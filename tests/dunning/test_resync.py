"""The resync rebuilds the projection from receivables' API, here a small real HTTP server on loopback
speaking receivables' contract: ``GET /v1/customers?limit=&cursor=`` and
``GET /v1/invoices?status=normal&status=promise_to_pay&status=payment_reported&status=dispute&limit=&cursor=``
answering ``{"items": [...], "next_cursor": ...}``, items shaped like the snapshot events with ``id``
(``test_with_receivables.py`` also resyncs from the real receivables service)."""

import asyncio
import socket
import uuid
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

import httpx
import uvicorn
from fastapi import FastAPI, Query, Request
from sqlalchemy import text

from dunning_service.projection.resync import RESYNC_JOB, resync_tenant
from dunning_service.settings import DunningSettings
from shared.identity import verify_identity
from shared.internal import InternalClient
from tests.dunning.support import Portfolio, dunning_tenant


def receivables_stub(customers: list[dict[str, Any]], invoices: list[dict[str, Any]], secret: str) -> FastAPI:
    app = FastAPI()
    app.state.calls = []

    def page(items: list[dict[str, Any]], limit: int, cursor: str | None) -> dict[str, Any]:
        start = int(cursor or 0)
        end = start + limit
        return {"items": items[start:end], "next_cursor": str(end) if end < len(items) else None}

    @app.get("/v1/customers")
    async def list_customers(request: Request, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        identity = verify_identity(secret, request.headers)  # signed like every internal call
        app.state.calls.append(("customers", identity.actor, cursor))
        return page(customers, limit, cursor)

    @app.get("/v1/invoices")
    async def list_invoices(
        request: Request, status: Annotated[list[str], Query()], limit: int = 50, cursor: str | None = None
    ) -> dict:
        verify_identity(secret, request.headers)
        # a repeatable filter: the open statuses and in_plan (issue 19: its row and steps done are kept)
        assert sorted(status) == ["dispute", "in_plan", "normal", "payment_reported", "promise_to_pay"]
        app.state.calls.append(("invoices", status, cursor))
        return page(invoices, limit, cursor)

    return app


@asynccontextmanager
async def serve(app: FastAPI):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn only exposes a flag
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def customer_item(customer_id: uuid.UUID, revision: int, name: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(customer_id),
        "revision": revision,
        "name": name,
        "external_id": f"EXT-{name}",
        "contacts": [{"channel": "email", "address": f"{name.lower()}@example.com", "invalid": False}],
        "opted_out_channels": [],
        "tags": ["North"],
        "created_at": "2025-01-01T00:00:00Z",  # extra fields of the real API are ignored
        **fields,
    }


def invoice_item(invoice_id: uuid.UUID, customer_id: uuid.UUID, revision: int, number: str, **fields: Any) -> dict:
    return {
        "id": str(invoice_id),
        "revision": revision,
        "customer_id": str(customer_id),
        "number": number,
        "currency": "ARS",
        "amount": "1000.00",
        "open_amount": "1000.00",
        "issue_date": "2025-05-01",
        "due_date": "2025-06-01",
        "status": "normal",
        **fields,
    }


async def test_resync_rebuilds_the_projection_from_the_receivables_api(api, stack):
    tenant = await dunning_tenant(api, stack)
    portfolio = Portfolio(stack, tenant.id)
    # what dunning knows before: one customer gone upstream, one newer here than the listing, one invoice
    # receivables no longer lists as open (its "paid" event was lost)
    gone = await portfolio.customer("Gone", email="gone@example.com")
    newer = await portfolio.customer("Newer", email="newer@example.com")
    for _ in range(4):
        await portfolio.change_customer(newer, segment="wholesale")  # revision 5
    lost = await portfolio.invoice(newer, "LOST-1", due=date(2025, 5, 1))
    fresh_customer, fresh_invoice = uuid.uuid4(), uuid.uuid4()
    customers = [
        customer_item(newer, 3, "Newer", segment="retail"),  # older than what dunning has: ignored
        customer_item(fresh_customer, 2, "Fresh", vip=True, credits=[{"currency": "USD", "amount": "12.50"}]),
        *[customer_item(uuid.uuid4(), 1, f"Filler{n}") for n in range(3)],
    ]
    invoices = [
        invoice_item(fresh_invoice, fresh_customer, 4, "F-100", status="promise_to_pay", promised_date="2025-06-10"),
        *[invoice_item(uuid.uuid4(), fresh_customer, 1, f"F-{n}") for n in range(4)],
    ]
    secret = DunningSettings().internal_secret
    app = receivables_stub(customers, invoices, secret)
    async with serve(app) as url, httpx.AsyncClient() as http:
        settings = DunningSettings(receivables_url=url, resync_page_size=2)
        report = await resync_tenant(stack.engine, InternalClient(http, settings), settings, tenant.id)
    assert report["status"] == "completed", report
    assert report["customers"] == 5
    assert report["invoices"] == 5
    assert report["customers_deleted"] == 1
    assert report["invoices_missing"] == 1
    assert [c[2] for c in app.state.calls if c[0] == "customers"] == [None, "2", "4"]  # cursor pagination
    assert all(c[1] == "service:dunning" for c in app.state.calls if c[0] == "customers")
    async with stack.engine.connect() as conn:
        rows = {
            r.name: r
            for r in (
                await conn.execute(
                    text("SELECT name, revision, segment, vip, deleted, tags, credits FROM dunning.customers")
                )
            )
        }
        invoices_now = {
            r.number: r
            for r in (
                await conn.execute(text("SELECT number, status, missing_upstream, promised_date FROM dunning.invoices"))
            )
        }
    assert rows["Gone"].deleted is True
    assert (rows["Newer"].revision, rows["Newer"].segment) == (5, "wholesale")
    assert rows["Fresh"].vip is True
    assert rows["Fresh"].tags == ["north"]
    assert rows["Fresh"].credits == {"USD": "12.50"}  # unapplied credit, issue 12
    assert invoices_now["LOST-1"].missing_upstream is True
    assert invoices_now["F-100"].status == "promise_to_pay"
    assert invoices_now["F-100"].promised_date == date(2025, 6, 10)
    explained = await api.get(f"/v1/dunning-explain/{newer}", params={"as_of": "2025-06-02"}, headers=tenant.admin)
    assert explained.json()["invoices"][0]["reason"] == "missing_upstream"
    assert gone  # deleted customers stay for history
    assert lost

    settings_out = (await api.get("/v1/dunning-settings", headers=tenant.admin)).json()
    assert settings_out["last_resync"]["status"] == "completed"


async def test_resync_endpoint_queues_the_job(api, stack):
    tenant = await dunning_tenant(api, stack)
    response = await api.post("/v1/dunning-settings/resync", headers=tenant.admin)
    assert response.status_code == 202, response.text
    assert await stack.redis.exists(f"arq:job:{RESYNC_JOB}:{tenant.id}")


async def test_a_failing_receivables_api_is_reported_not_hidden(api, stack):
    tenant = await dunning_tenant(api, stack)
    async with httpx.AsyncClient() as http:
        settings = DunningSettings(receivables_url="http://127.0.0.1:9", resync_page_size=2)  # nothing listens
        report = await resync_tenant(stack.engine, InternalClient(http, settings), settings, tenant.id)
    assert report["status"] == "failed"
    assert "ConnectError" in report["error"]
    async with stack.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM dunning.customers WHERE deleted")) == 0
