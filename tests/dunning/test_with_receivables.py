"""Dunning with the real receivables service: an ERP's customers and invoices reach dunning through
receivables' events (outbox, relay, dunning's worker); dunning's task command reaches receivables; a
status change pauses reminders; and the projection is rebuilt from receivables' real HTTP API."""

from datetime import date

import httpx
from sqlalchemy import text

from dunning_service.projection.resync import resync_tenant
from dunning_service.settings import DunningSettings
from dunning_service.worker import WorkerSettings as DunningWorker
from services.receivables.worker import WorkerSettings as ReceivablesWorker
from shared.internal import InternalClient
from shared.outbox import relay_once
from tests.dunning.support import Messaging, create_strategy, real_run
from tests.support import RoutingTransport, create_api_key, create_tenant, run_worker

DUE = date(2025, 6, 3)  # a Tuesday
AS_OF = date(2025, 6, 4)


async def deliver(stack, *schemas: str) -> None:
    """Relay the outboxes, then let both workers take what reached their queues."""
    for schema in schemas:
        while await relay_once(stack.engine, stack.arq, schema):
            pass
    await run_worker(ReceivablesWorker)
    await run_worker(DunningWorker)


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
