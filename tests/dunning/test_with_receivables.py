"""Dunning with the real receivables service: an ERP's customers and invoices reach dunning through
receivables' events (outbox, relay, dunning's worker); dunning's task command reaches receivables; a
status change pauses reminders; and the projection is rebuilt from receivables' real HTTP API."""

from datetime import date

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from alarms_service.projection.handlers import on_invoices_changed as alarms_invoices_changed
from alarms_service.worker import HANDLERS as ALARMS_HANDLERS
from dunning_service.projection.handlers import on_invoices_changed as dunning_invoices_changed
from dunning_service.projection.resync import resync_tenant
from dunning_service.settings import DunningSettings
from dunning_service.worker import HANDLERS as DUNNING_HANDLERS
from services.receivables.events import emit_customers_changed, emit_invoices_changed
from shared.contracts.receivables import CustomerChanged, CustomersChanged, InvoiceChanged, InvoicesChanged
from shared.db import unit_of_work
from shared.inbox import Received, process_batch
from shared.internal import InternalClient
from shared.messages import Envelope
from shared.outbox import queue_name, relay_once
from tests.dunning.support import Messaging, create_strategy, deliver, real_run
from tests.support import RoutingTransport, create_api_key, create_tenant, queued_envelopes

DUE = date(2025, 6, 3)  # a Tuesday
AS_OF = date(2025, 6, 4)


async def test_receivables_events_drive_dunning_and_resync_uses_the_real_api(api, stack):
    tenant = await create_tenant(api)
    await deliver(stack, "gateway")
    erp = await create_api_key(api, tenant)
    await create_strategy(api, tenant.admin)
    created = await api.post(
        "/v1/customers",
        json={
            "name": "Ferretería Norte",
            "external_id": "C-NORTE",
            "contacts": [{"channel": "email", "address": "pagos@norte.example"}],
        },
        headers=erp,
    )
    assert created.status_code == 201, created.text
    norte = created.json()["id"]
    silent = (await api.post("/v1/customers", json={"name": "Sin Canal SA"}, headers=erp)).json()["id"]
    invoices = {}
    for customer, number in ((norte, "A-1"), (silent, "B-1")):
        response = await api.post(
            "/v1/invoices",
            json={
                "customer_id": customer,
                "number": number,
                "currency": "ARS",
                "amount": "1500.00",
                "issue_date": "2025-05-04",
                "due_date": DUE.isoformat(),
            },
            headers=erp,
        )
        assert response.status_code == 201, response.text
        invoices[number] = response.json()["id"]
    bulk = {"external_id": "F-A-2", "customer_external_id": "C-NORTE", "number": "A-2", "currency": "ARS"}
    bulk |= {"amount": "700.00", "issue_date": "2025-05-04", "due_date": DUE.isoformat()}
    loaded = await api.post("/v1/ingest/invoices", json={"items": [bulk]}, headers=erp)
    assert loaded.json()["created"] == 1, loaded.text  # announced by a deferred row the relay expands
    await deliver(stack, "receivables")

    messaging = Messaging(stack, tenant.id)
    run = await real_run(api, tenant.admin, AS_OF)
    assert run["counts"]["by_channel"] == {"email": 1, "task": 1}
    (sent,) = await messaging.take_and_accept()
    assert sent.to == "pagos@norte.example"
    assert [i.number for i in sent.invoices] == ["A-1", "A-2"]
    await deliver(stack, "dunning")  # the create_task command reaches receivables
    tasks = (await api.get("/v1/tasks", params={"customer_id": silent}, headers=tenant.admin)).json()["items"]
    assert len(tasks) == 1
    assert "Sin Canal SA" in tasks[0]["title"]

    promised = await api.post(
        f"/v1/invoices/{invoices['A-1']}/status",
        json={"status": "promise_to_pay", "promised_date": "2099-01-31", "reason": "Paga fin de mes"},
        headers=tenant.admin,
    )
    assert promised.status_code == 200, promised.text
    await deliver(stack, "receivables")
    explained = await api.get(f"/v1/dunning-explain/{norte}", params={"as_of": "2025-06-20"}, headers=tenant.admin)
    assert explained.json()["invoices"][0]["reason"] == "paused_promise_to_pay"

    # The projection is lost; the resync rebuilds it from receivables' API (not its schema)
    async with stack.engine.begin() as conn:
        await conn.execute(text("DELETE FROM dunning.invoices"))
        await conn.execute(text("DELETE FROM dunning.customers"))
    settings = DunningSettings(receivables_url="http://receivables.test", resync_page_size=1)
    async with httpx.AsyncClient(transport=RoutingTransport(stack.services)) as http:
        report = await resync_tenant(stack.engine, InternalClient(http, settings), settings, tenant.id)
    assert report["status"] == "completed", report
    assert (report["customers"], report["invoices"]) == (2, 3)
    async with stack.engine.connect() as conn:
        rows = dict((await conn.execute(text("SELECT number, status FROM dunning.invoices"))).all())
        names = set((await conn.execute(text("SELECT name FROM dunning.customers"))).scalars())
    assert rows == {"A-1": "promise_to_pay", "A-2": "normal", "B-1": "normal"}
    assert names == {"Ferretería Norte", "Sin Canal SA"}


# A bulk load is announced by one InvoicesChanged per batch (issue 13): both projections must hold what the
# per-invoice path gives them, and the batch obeys the same guards as a single event.
DUNNING_ROWS = (
    "SELECT tenant_id, id, customer_id, revision, external_id, number, kind, currency, amount, open_amount, "
    "issue_date, due_date, status, promised_date, reported_date, dispute_area_id, document_url, missing_upstream "
    "FROM dunning.invoices ORDER BY id"
)
# status_since is when each announcement was written (the batch's or each single event's): compared apart.
ALARMS_ROWS = (
    "SELECT tenant_id, id, customer_id, revision, number, currency, amount, open_amount, due_date, status, "
    "promised_date, reported_date, dispute_area_id FROM alarms.invoices ORDER BY id"
)


async def projections(stack) -> tuple[list, list]:
    return await rows(stack, DUNNING_ROWS), await rows(stack, ALARMS_ROWS)


async def rows(stack, sql: str) -> list[tuple]:
    async with stack.engine.connect() as conn:
        return sorted(tuple(r) for r in (await conn.execute(text(sql))).all())


async def consume(stack, service: str, envelopes: list[dict]) -> int:
    """Hand ``envelopes`` to a consumer as its worker would (inbox included); answers how many were new."""
    handlers = {"dunning": DUNNING_HANDLERS, "alarms": ALARMS_HANDLERS}[service]
    sessions = async_sessionmaker(stack.engine, expire_on_commit=False)
    return await process_batch({}, sessions, service, handlers, envelopes)


async def take_queued(stack) -> dict[str, list[dict]]:
    """Relay receivables' outbox and take what reached dunning's and alarms' queues off them."""
    while await relay_once(stack.engine, stack.arq, "receivables"):
        pass
    taken = {service: await queued_envelopes(stack, service) for service in ("dunning", "alarms")}
    await stack.redis.delete(queue_name("dunning"), queue_name("alarms"))
    return taken


async def bulk_tenant(api, stack) -> tuple:
    tenant = await create_tenant(api)
    await deliver(stack, "gateway")
    erp = await create_api_key(api, tenant, rate_limit_per_minute=100000)
    customers = [{"external_id": f"C-{n}", "name": f"Cliente {n}"} for n in range(3)]
    assert (await api.post("/v1/ingest/customers", json={"items": customers}, headers=erp)).status_code == 200
    await take_queued(stack)
    return tenant, erp


def bulk_invoices(count: int, **fields) -> list[dict]:
    return [
        {
            "external_id": f"F-{n:03}",
            "customer_external_id": f"C-{n % 3}",
            "number": f"A-{n:03}",
            "currency": "USD" if n % 4 == 0 else "ARS",
            "amount": f"{100 + n}.50",
            "open_amount": "0.00" if n % 5 == 0 else f"{100 + n}.50",
            "issue_date": "2025-05-04",
            "due_date": DUE.isoformat(),
            "document_url": f"https://erp.example/F-{n:03}.pdf" if n % 2 else None,
            **fields,
        }
        for n in range(count)
    ]


async def test_a_bulk_load_reaches_both_projections_as_one_event_per_invoice_would(api, stack):
    tenant, erp = await bulk_tenant(api, stack)
    assert (await api.post("/v1/ingest/invoices", json={"items": bulk_invoices(40)}, headers=erp)).status_code == 200
    changed = bulk_invoices(45)  # 5 new, 3 updated
    for n in (1, 2, 3):
        changed[n]["open_amount"] = "0.00" if n == 1 else "10.00"
    assert (await api.post("/v1/ingest/invoices", json={"items": changed}, headers=erp)).status_code == 200
    queued = await take_queued(stack)
    for service in ("dunning", "alarms"):
        assert {e["type"] for e in queued[service]} == {InvoicesChanged.message_type}
        assert sorted(len(e["payload"]["invoice_id"]) for e in queued[service]) == [3, 5, 40]
        assert await consume(stack, service, queued[service]) == 3
    by_batches = await projections(stack)
    assert len(by_batches[0]) == len(by_batches[1]) == 45

    # The same invoices, each announced by its own InvoiceChanged (the API's path), into emptied projections.
    async with stack.engine.begin() as conn:
        await conn.execute(text("DELETE FROM dunning.invoices"))
        await conn.execute(text("DELETE FROM alarms.invoices"))
        ids = list((await conn.execute(text("SELECT id FROM receivables.invoices ORDER BY id"))).scalars())
        await emit_invoices_changed(conn, tenant.id, ids, "per invoice")
    queued = await take_queued(stack)
    for service in ("dunning", "alarms"):
        assert {e["type"] for e in queued[service]} == {InvoiceChanged.message_type}
        assert await consume(stack, service, queued[service]) == 45
    assert await projections(stack) == by_batches


async def test_a_batch_delivered_twice_or_older_than_a_single_event_changes_nothing(api, stack):
    tenant, erp = await bulk_tenant(api, stack)
    assert (await api.post("/v1/ingest/invoices", json={"items": bulk_invoices(6)}, headers=erp)).status_code == 200
    batch = await take_queued(stack)  # relayed at revision 1 of every invoice
    async with stack.engine.connect() as conn:
        promised_id = (await conn.execute(text("SELECT id FROM receivables.invoices WHERE number = 'A-001'"))).scalar()
    promised = await api.post(
        f"/v1/invoices/{promised_id}/status",
        json={"status": "promise_to_pay", "promised_date": "2099-01-31"},
        headers=tenant.admin,
    )
    assert promised.status_code == 200, promised.text
    single = await take_queued(stack)  # revision 2 of A-001

    for service in ("dunning", "alarms"):
        assert await consume(stack, service, single[service]) == 1
        assert await consume(stack, service, batch[service]) == 1  # the older batch arrives after
    state = await projections(stack)
    expected = {f"A-{n:03}": (1, "paid" if n % 5 == 0 else "normal") for n in range(6)}
    expected["A-001"] = (2, "promise_to_pay")  # the single event's newer state stands
    for service in ("dunning", "alarms"):
        held = await rows(stack, f"SELECT number, revision, status FROM {service}.invoices")
        assert {number: (revision, status) for number, revision, status in held} == expected
    since = await rows(stack, "SELECT id, status_since FROM alarms.invoices")

    for service in ("dunning", "alarms"):
        assert await consume(stack, service, batch[service]) == 0  # delivered twice: the inbox drops it
    # Even past the inbox (a handler run twice), the batch's upsert leaves the rows as they were.
    sessions = async_sessionmaker(stack.engine, expire_on_commit=False)
    for service, handler in (("dunning", dunning_invoices_changed), ("alarms", alarms_invoices_changed)):
        received = [Received(e, e.open()) for e in map(Envelope.model_validate, batch[service])]
        async with unit_of_work(sessions) as session:
            await handler({}, session, received)
    assert await projections(stack) == state
    assert await rows(stack, "SELECT id, status_since FROM alarms.invoices") == since


async def test_a_bulk_load_of_customers_reaches_both_projections_as_one_event_per_customer_would(api, stack):
    tenant = await create_tenant(api)
    await deliver(stack, "gateway")
    erp = await create_api_key(api, tenant, rate_limit_per_minute=100000)
    await take_queued(stack)  # what the gateway announced
    customers = [
        {
            "external_id": f"C-{n}",
            "name": f"Cliente {n}",
            "country": "ar",
            "tags": ["Norte", "mayorista"] if n % 2 else [],
            "vip": n % 3 == 0,
            "contacts": [{"channel": "email", "address": f"pagos{n}@x.example"}] if n % 4 else [],
        }
        for n in range(12)
    ]
    assert (await api.post("/v1/ingest/customers", json={"items": customers}, headers=erp)).status_code == 200
    customers[5]["name"] = "Cliente cinco"
    assert (await api.post("/v1/ingest/customers", json={"items": customers}, headers=erp)).status_code == 200
    queued = await take_queued(stack)
    for service in ("dunning", "alarms"):
        assert [e["type"] for e in queued[service]] == [CustomersChanged.message_type] * 2
        assert await consume(stack, service, queued[service]) == 2
    by_batches = await rows(stack, DUNNING_CUSTOMERS), await rows(stack, ALARMS_CUSTOMERS)
    assert len(by_batches[0]) == len(by_batches[1]) == 12

    async with stack.engine.begin() as conn:
        await conn.execute(text("DELETE FROM dunning.customers"))
        await conn.execute(text("DELETE FROM alarms.customers"))
        ids = list((await conn.execute(text("SELECT id FROM receivables.customers ORDER BY id"))).scalars())
        await emit_customers_changed(conn, tenant.id, ids)
    queued = await take_queued(stack)
    for service in ("dunning", "alarms"):
        assert {e["type"] for e in queued[service]} == {CustomerChanged.message_type}
        assert await consume(stack, service, queued[service]) == 12
    assert (await rows(stack, DUNNING_CUSTOMERS), await rows(stack, ALARMS_CUSTOMERS)) == by_batches


DUNNING_CUSTOMERS = (
    "SELECT tenant_id, id, revision, external_id, name, tax_id, country, timezone, language, segment, vip, "
    "risk_level, tags, contacts::text, opted_out_channels, usable_channels, collector_id, people::text, "
    "credits::text, deleted FROM dunning.customers"
)
ALARMS_CUSTOMERS = "SELECT tenant_id, id, revision, external_id, name, collector_id, deleted FROM alarms.customers"
