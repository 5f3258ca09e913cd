"""Call steps (issue 18, seed 001: "Crear un plan de llamadas de cobro", "un guion establecido"), through the API with
the real services: a strategy's call step, on its business day, gives the customer's collector ONE task carrying the
step's script rendered for the customer (dunning's run -> messaging renders -> receivables' task); a re-run or a
redelivered command creates no second task; the outcome recorded against the task closes it; the script is checked
by messaging when the strategy is saved; explain and the forecast know call steps."""

import uuid
from datetime import date

from sqlalchemy import text

from dunning_service.worker import WorkerSettings as DunningWorker
from messaging_service.worker import HANDLERS as MESSAGING_HANDLERS
from messaging_service.worker import WorkerSettings as MessagingWorker
from services.receivables.worker import WorkerSettings as ReceivablesWorker
from shared.contracts.messaging import PrepareCallTasks
from shared.inbox import process_batch
from shared.messages import Envelope
from shared.outbox import relay_once
from tests.dunning.support import create_strategy, dry_run, real_run
from tests.messaging.support import dunning_routed
from tests.support import create_api_key, create_tenant, create_user, run_worker

DUE = date(2025, 6, 3)  # a Tuesday
CALL_DAY = date(2025, 6, 7)  # DUE + 4: a Saturday, so the call moves to Monday
MONDAY = date(2025, 6, 9)
SCRIPT = (
    "Buenos días, {{ recipient_name }}. Le llamo de {{ company.name }} por {{ overdue_count }} facturas vencidas: "
    "{{ total }}.{% for invoice in triggered_invoices %} {{ invoice.number }}{% endfor %}. "
    "Cobrador: {{ collector.name }}. Canal: {{ channel }}."
)
STEPS = [
    {"key": "od-1", "kind": "overdue", "days": 1, "tone": 1, "channels": ["email"]},
    {"key": "call-4", "kind": "call", "days": 4, "script": SCRIPT},
    {"key": "od-10", "kind": "overdue", "days": 10, "tone": 2, "channels": ["email"]},
]


async def deliver(stack, *schemas: str) -> None:
    """Relay the outboxes named, then let every worker take what reached its queue."""
    for schema in schemas:
        while await relay_once(stack.engine, stack.arq, schema):
            pass
    await run_worker(ReceivablesWorker)
    await run_worker(DunningWorker)
    await run_worker(MessagingWorker, **dunning_routed(stack, MessagingWorker))


async def call_tasks(api, headers, customer_id: str) -> list[dict]:
    response = await api.get("/v1/tasks", params={"customer_id": customer_id}, headers=headers)
    assert response.status_code == 200, response.text
    return [t for t in response.json()["items"] if t["source"] == "dunning"]


async def portfolio(api, stack):
    """A tenant known to every service, a collector, a customer of hers with two invoices due the same day (and
    a colleague's customer with none due), the strategy with its call step."""
    tenant = await create_tenant(api)
    collector, _ = await create_user(api, tenant, "collector")
    await deliver(stack, "gateway")
    erp = await create_api_key(api, tenant)
    await create_strategy(api, tenant.admin, steps=STEPS)
    body = {"name": "Ferretería Norte", "external_id": "C-NORTE", "collector_id": collector["id"]}
    body["contacts"] = [{"channel": "email", "address": "pagos@norte.example"}]
    created = await api.post("/v1/customers", json=body, headers=erp)
    assert created.status_code == 201, created.text
    customer = created.json()["id"]
    for number, amount in (("A-1", "1500.00"), ("A-2", "700.00")):
        invoice = {"customer_id": customer, "number": number, "currency": "ARS", "amount": amount}
        invoice |= {"issue_date": "2025-05-04", "due_date": DUE.isoformat()}
        response = await api.post("/v1/invoices", json=invoice, headers=erp)
        assert response.status_code == 201, response.text
    await deliver(stack, "receivables")
    return tenant, collector, customer


async def test_a_call_step_gives_the_collector_one_task_with_the_rendered_script(api, stack):
    tenant, collector, customer = await portfolio(api, stack)

    friday = await real_run(api, tenant.admin, date(2025, 6, 6))  # DUE + 3: the reminder of od-1 catches up
    assert friday["counts"]["calls"] == 0
    saturday = await real_run(api, tenant.admin, CALL_DAY)
    assert saturday["status"] == "skipped"  # the call's day is a Saturday: it moves to Monday

    explained = await api.get(f"/v1/dunning-explain/{customer}", params={"as_of": "2025-06-06"}, headers=tenant.admin)
    upcoming = explained.json()["invoices"][0]["next_step"]
    assert (upcoming["kind"], upcoming["date"], upcoming["script"]) == ("call", MONDAY.isoformat(), SCRIPT)

    preview = await dry_run(api, tenant.admin, MONDAY)
    (planned,) = preview["plan"]
    assert (planned["call"], planned["task"], planned["channel"], preview["counts"]["calls"]) == (True, True, None, 1)
    assert sorted(i["number"] for i in planned["invoices"]) == ["A-1", "A-2"]
    assert {i["step_kind"] for i in planned["invoices"]} == {"call"}

    monday = await real_run(api, tenant.admin, MONDAY)
    assert (monday["counts"]["calls"], monday["counts"]["communications"]) == (1, 0)
    assert [s["step_key"] for s in monday["counts"]["by_step"]] == ["call-4"]
    await deliver(stack, "dunning")  # the call to messaging
    await deliver(stack, "messaging")  # its task to receivables

    (task,) = await call_tasks(api, tenant.admin, customer)
    assert task["assignee_id"] == collector["id"]
    assert task["due_date"] == MONDAY.isoformat()
    assert task["status"] == "open"
    assert "Ferretería Norte" in task["title"] and "call-4" in task["title"]
    description = task["description"]
    assert description.startswith("Buenos días, Ferretería Norte. Le llamo de Empresa")
    assert "por 2 facturas vencidas" in description
    assert "2.200,00" in description  # the customer's whole overdue total, formatted for the customer
    assert " A-1 A-2." in description  # both invoices that reached the step, in one task
    assert "Canal: call." in description
    assert description.endswith("Facturas: A-1 y A-2")

    # A re-run of the day asks for nothing more; a redelivered command creates no second task.
    rerun = await real_run(api, tenant.admin, MONDAY)
    assert rerun["counts"]["calls"] == 0
    async with stack.engine.connect() as conn:
        payload = (
            await conn.execute(
                text("SELECT payload FROM dunning.outbox WHERE message_type = :t"),
                {"t": PrepareCallTasks.message_type},
            )
        ).scalar_one()
    again = Envelope.wrap(PrepareCallTasks.model_validate(payload), tenant.id).model_dump(mode="json")
    sessionmaker = stack.services["messaging"].state.sessionmaker
    assert await process_batch({}, sessionmaker, "messaging", MESSAGING_HANDLERS, [again]) == 1
    await deliver(stack, "messaging")
    assert len(await call_tasks(api, tenant.admin, customer)) == 1

    # The outcome of the call, recorded against the task, closes it (a task not the customer's is refused).
    outcome = {"customer_id": customer, "kind": "no_commitment", "note": "Llamado: pide la cuenta corriente"}
    stranger = await api.post(
        "/v1/outcomes", json={**outcome, "closes_task_id": str(uuid.uuid4())}, headers=tenant.admin
    )
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "closes_task_id", stranger.text
    recorded = await api.post("/v1/outcomes", json={**outcome, "closes_task_id": task["id"]}, headers=tenant.admin)
    assert recorded.status_code == 201, recorded.text
    (closed,) = [t for t in await call_tasks(api, tenant.admin, customer) if t["id"] == task["id"]]
    assert closed["status"] == "done"
    twice = await api.post("/v1/outcomes", json={**outcome, "closes_task_id": task["id"]}, headers=tenant.admin)
    assert twice.status_code == 409, twice.text


async def test_the_forecast_lists_the_call_tasks_to_come(api, stack):
    tenant, _, customer = await portfolio(api, stack)
    response = await api.get("/v1/dunning-forecast", params={"from": "2025-06-05", "days": 7}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    days = {d["date"]: d for d in response.json()["days"]}
    assert days[MONDAY.isoformat()]["calls"] == 1
    assert days[MONDAY.isoformat()]["by_channel"] == {"call": 1}
    (call,) = days[MONDAY.isoformat()]["call_tasks"]
    assert (call["customer_id"], call["customer_name"], call["step_key"], call["invoices"]) == (
        customer,
        "Ferretería Norte",
        "call-4",
        2,
    )
    assert days[CALL_DAY.isoformat()]["calls"] == 0
    assert response.json()["totals"]["calls"] == 1


async def test_a_script_that_fails_to_render_still_gives_the_task_with_the_raw_script(api, stack):
    tenant, _, customer = await portfolio(api, stack)
    failing = "Total {{ total }}: {{ invoices[5].number }}"  # checked fine, but the customer has two invoices
    steps = [{**s, "script": failing} if s["kind"] == "call" else s for s in STEPS]
    (strategy,) = (await api.get("/v1/strategies", headers=tenant.admin)).json()["items"]
    edited = await api.patch(f"/v1/strategies/{strategy['id']}", json={"steps": steps}, headers=tenant.admin)
    assert edited.status_code == 200, edited.text
    await real_run(api, tenant.admin, MONDAY)
    await deliver(stack, "dunning")  # the call to messaging
    await deliver(stack, "messaging")  # its task to receivables
    (task,) = await call_tasks(api, tenant.admin, customer)
    assert task["description"].startswith("El guion no se pudo preparar (")
    assert failing in task["description"]


async def test_a_call_step_script_is_checked_when_the_strategy_is_saved(api, stack):
    tenant = await create_tenant(api)
    await deliver(stack, "gateway")

    async def refused(steps: list[dict]) -> list[dict]:
        response = await api.post(
            "/v1/strategies", json={"name": "Llamadas", "is_default": True, "steps": steps}, headers=tenant.admin
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return response.json()["errors"]

    email = {"key": "od-1", "kind": "overdue", "days": 1, "tone": 1, "channels": ["email"]}
    unknown = await refused([email, {"kind": "call", "days": 5, "script": "Hola {{ cliente.nombre }}"}])
    assert unknown == [{"field": "steps[1].script", "message": "unknown tag 'cliente'"}]
    attribute = await refused([{"kind": "call", "days": 5, "script": "Hola {{ customer.nmae }}"}])
    assert attribute == [{"field": "steps[0].script", "message": "unknown tag 'customer.nmae'"}]
    syntax = await refused([{"kind": "call", "days": 5, "script": "Hola {{ customer.name "}])
    assert syntax[0]["field"] == "steps[0].script" and "syntax error" in syntax[0]["message"]
    missing = await refused([{"kind": "call", "days": 5}])
    assert missing[0]["field"] == "steps[0].script"
    too_long = await api.post(
        "/v1/strategies",
        json={"name": "Larga", "steps": [{"kind": "call", "days": 5, "script": "x" * 4001}]},
        headers=tenant.admin,
    )
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "steps[0].script"
    with_channel = await refused([{"kind": "call", "days": 5, "script": "Hola", "channels": ["sms"]}])
    assert with_channel[0]["field"] == "steps[0].channels"
    elsewhere = await refused([{**email, "script": "Hola"}])
    assert elsewhere == [{"field": "steps[0].script", "message": "only a call step has a script"}]
    ordered = await refused([email, {"kind": "call", "days": 1, "script": "Hola"}])
    assert ordered[0]["field"] == "steps[1].days"

    fine = {"kind": "call", "days": 5, "script": "Hola {{ customer.name }}, debe {{ total }}"}
    created = await api.post(
        "/v1/strategies", json={"name": "Llamadas", "is_default": True, "steps": [email, fine]}, headers=tenant.admin
    )
    assert created.status_code == 201, created.text
    step = created.json()["steps"][1]
    assert (step["key"], step["kind"], step["channels"], step["script"]) == ("call-5", "call", [], fine["script"])
