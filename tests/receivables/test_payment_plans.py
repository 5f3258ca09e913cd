"""Payment plans through the API (issue 19, seed 004: "Renegociar la deuda a tres plazos"): a three-installment plan
pauses its invoices, creates its installments, takes payments, completes when paid, breaks on a missed installment
past the grace days and restores its invoices; the portal's limits; accept and break once; the plans' KPIs."""

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text

from services.receivables.settings import ServiceSettings
from shared.contracts.receivables import InvoiceChanged, PaymentPlanChanged
from shared.identity import SERVICE, identity_headers
from shared.outbox import queue_name
from tests.receivables.helpers import customer, execute, invoice, invoice_announcements, outbox, post, rows

D = Decimal


async def _owing(rc, *amounts_and_dues: tuple[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    c = await customer(rc, collector_id=str(rc.collector_id))
    invoices = [await invoice(rc, c["id"], amount=a, due_date=d) for a, d in amounts_and_dues]
    return c, invoices


def _three(rc, c, **extra: Any) -> dict[str, Any]:
    first = rc.today + timedelta(days=10)
    return {
        "customer_id": c["id"],
        "currency": "ARS",
        "rule": {"count": 3, "first_due_date": first.isoformat(), "every": "month"},
        **extra,
    }


async def _get(rc, path: str, headers=None) -> Any:
    response = await rc.api.get(path, headers=headers or rc.admin)
    assert response.status_code == 200, response.text
    return response.json()


async def _pay(rc, c, amount: str, invoices: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"customer_id": c["id"], "currency": "ARS", "amount": amount}
    body["payment_date"] = rc.today.isoformat()
    if invoices:
        body["invoices"] = invoices
    return await post(rc.api, "/v1/payments", rc.admin, body)


async def as_portal(rc, path: str, body: Any, expect: int = 201) -> Any:
    """A call of the portal's own (``service:portal``), signed as the gateway would, to receivables."""
    headers = identity_headers(ServiceSettings().internal_secret, rc.tenant_id, "service:portal", [SERVICE])
    transport = httpx.ASGITransport(rc.stack.services["receivables"])
    async with httpx.AsyncClient(transport=transport, base_url="http://receivables.test") as client:
        response = await client.post(path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def test_a_three_installment_plan_pauses_its_invoices_takes_payments_and_completes(rc):
    c, (old, new) = await _owing(rc, ("600.00", "2026-01-10"), ("400.00", "2026-02-10"))
    plan = await post(rc.api, "/v1/payment-plans", rc.collector, _three(rc, c))
    assert (plan["number"], plan["status"], plan["source"], plan["principal"]) == (
        "PP-1",
        "proposed",
        "collector",
        "1000.00",
    )
    assert [i["amount"] for i in plan["installments"]] == ["333.33", "333.33", "333.34"]
    assert {(await _get(rc, f"/v1/invoices/{i['id']}"))["status"] for i in (old, new)} == {"normal"}  # nothing yet

    accepted = await post(rc.api, f"/v1/payment-plans/{plan['id']}/accept", rc.collector, {}, expect=200)
    assert accepted["status"] == "accepted" and accepted["accepted_on"] == rc.today.isoformat()
    for inv in (old, new):
        got = await _get(rc, f"/v1/invoices/{inv['id']}")
        assert (got["status"], got["plan_id"], got["open_amount"]) == ("in_plan", plan["id"], inv["open_amount"])
    installments = accepted["installments"]
    assert [i["invoice_number"] for i in installments] == ["PP-1 1/3", "PP-1 2/3", "PP-1 3/3"]
    first = await _get(rc, f"/v1/invoices/{installments[0]['invoice_id']}")
    assert (first["kind"], first["status"], first["issue_date"], first["plan_id"]) == (
        "installment",
        "normal",
        rc.today.isoformat(),
        plan["id"],
    )
    announced = {
        str(a.invoice_id): a for a in await invoice_announcements(rc.stack) if a.reason == "payment plan accepted"
    }
    assert {announced[i["invoice_id"]].plan_id for i in installments} == {announced[old["id"]].plan_id}
    assert announced[old["id"]].status == "in_plan"
    # accepting again changes nothing (no second set of installments)
    again = await post(rc.api, f"/v1/payment-plans/{plan['id']}/accept", rc.admin, {}, expect=200)
    assert again["revision"] == accepted["revision"]
    count = await rows(rc.stack, "SELECT count(*) AS n FROM receivables.invoices WHERE kind = 'installment'")
    assert count[0]["n"] == 3

    await _pay(rc, c, "333.33")  # oldest first: the first installment (the grouped invoices take nothing)
    await _pay(rc, c, "333.33", [{"invoice_id": old["id"]}])  # naming a grouped invoice: the plan's next installment
    state = await _get(rc, f"/v1/payment-plans/{plan['id']}")
    assert [i["status"] for i in state["installments"]] == ["paid", "paid", "normal"]
    assert (state["status"], state["paid_amount"]) == ("accepted", "666.66")
    assert (await _get(rc, f"/v1/invoices/{old['id']}"))["open_amount"] == "600.00"

    await _pay(rc, c, "333.34")
    done = await _get(rc, f"/v1/payment-plans/{plan['id']}")
    assert (done["status"], done["completed_on"], done["paid_amount"]) == ("completed", rc.today.isoformat(), "1000.00")
    for inv in (old, new):
        got = await _get(rc, f"/v1/invoices/{inv['id']}")
        assert (got["status"], got["open_amount"], got["closed_on"]) == ("paid", "0.00", rc.today.isoformat())
    events = [
        e for e in await outbox(rc.stack, PaymentPlanChanged) if e.plan_id == done["id"] or str(e.plan_id) == done["id"]
    ]
    assert [e.status for e in events] == ["proposed", "accepted", "accepted", "accepted", "completed"]
    assert [e.revision for e in events] == [1, 2, 3, 4, 5]
    assert events[2].installments[0].status == "paid" and events[-1].paid_amount == D("1000.00")
    history = (await _get(rc, f"/v1/customers/{c['id']}/timeline"))["items"]
    assert any(e["kind"] == "payment_plan" and "completed" in e["summary"] for e in history)


async def _accepted_plan(rc, c, **extra: Any) -> dict[str, Any]:
    plan = await post(rc.api, "/v1/payment-plans", rc.collector, _three(rc, c, **extra))
    return await post(rc.api, f"/v1/payment-plans/{plan['id']}/accept", rc.collector, {}, expect=200)


async def _installments_earlier(rc, plan_id: str, days: int) -> None:
    """The plan's installments as if due ``days`` earlier: the detection only looks at days that have ended."""
    await execute(
        rc.stack,
        "UPDATE receivables.invoices SET due_date = due_date - CAST(:days AS int) WHERE plan_id = CAST(:p AS uuid) "
        "AND kind = 'installment'",
        days=days,
        p=plan_id,
    )


async def test_a_missed_installment_past_grace_breaks_the_plan_and_restores_the_invoices(rc):
    c, (old, new) = await _owing(rc, ("600.00", "2026-01-10"), ("400.00", "2026-02-10"))
    plan = await _accepted_plan(rc, c, down_payment="100.00", grace_days=3)
    assert [i["number"] for i in plan["installments"]] == [0, 1, 2, 3]
    await _pay(rc, c, "100.00")  # the down payment (due today)
    await _installments_earlier(rc, plan["id"], 10 + 3)  # the first installment's day + 3 grace days: today
    detect = "/v1/payment-plans/detect-broken"
    assert (await post(rc.api, detect, rc.admin, {}, expect=200))["plan_ids"] == []
    await _installments_earlier(rc, plan["id"], 1)
    assert (await post(rc.api, detect, rc.admin, {}, expect=200))["plan_ids"] == [plan["id"]]
    assert (await post(rc.api, detect, rc.admin, {}, expect=200))["plan_ids"] == []  # once only

    broken = await _get(rc, f"/v1/payment-plans/{plan['id']}")
    assert (broken["status"], broken["broken_on"]) == ("broken", rc.today.isoformat())
    assert [i["status"] for i in broken["installments"]] == ["paid", "void", "void", "void"]
    got_old, got_new = [await _get(rc, f"/v1/invoices/{i['id']}") for i in (old, new)]
    # back to normal with their own due dates; the 100 collected went to the oldest
    assert (got_old["status"], got_old["due_date"], got_old["open_amount"], got_old["plan_id"]) == (
        "normal",
        "2026-01-10",
        "500.00",
        None,
    )
    assert (got_new["status"], got_new["open_amount"]) == ("normal", "400.00")
    (event,) = [e for e in await outbox(rc.stack, PaymentPlanChanged) if e.status == "broken"]
    assert (event.collector_id, event.paid_amount, event.broken_on) == (rc.collector_id, D("100.00"), rc.today)
    last = [e for e in await outbox(rc.stack, InvoiceChanged) if str(e.invoice_id) == old["id"]][-1]
    assert (last.status, last.plan_id, last.reason) == ("normal", None, "payment plan broken")


async def test_an_installment_is_not_voided_or_written_off_by_hand_while_its_plan_runs(rc):
    """Ended by hand, an installment would leave its plan neither completable nor breakable, its invoices waiting
    ``in_plan`` for ever: 409, the plan is cancelled instead; once it has ended, its installments are ordinary."""
    c, _ = await _owing(rc, ("300.00", "2026-01-10"))
    plan = await _accepted_plan(rc, c)
    first = plan["installments"][0]["invoice_id"]
    for target in ("void", "written_off"):
        response = await rc.api.post(f"/v1/invoices/{first}/status", json={"status": target}, headers=rc.admin)
        assert response.status_code == 409 and "cancel the plan" in response.json()["detail"], response.text
    assert (await _get(rc, f"/v1/invoices/{first}"))["status"] == "normal"
    await post(rc.api, f"/v1/payment-plans/{plan['id']}/cancel", rc.admin, {"reason": "renegotiated"}, expect=200)
    assert (await _get(rc, f"/v1/invoices/{first}"))["status"] == "void"


async def _until_waiting(holder, request: asyncio.Task) -> None:
    """Until another session waits for a lock ``holder`` holds, or ``request`` ended: counted, not a guess at how
    long it takes."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    for _ in range(200):
        if (await holder.execute(query)).scalar() or request.done():
            return
        await asyncio.sleep(0.02)


async def test_a_payment_in_flight_and_the_break_of_its_plan_wait_for_each_other_without_deadlock(rc):
    """A payment locks the installment it pays, then updates its plan (``after_money``); the break locks the
    installments before the plan, so it waits for the payment (it took the plan first: a deadlock, answered 500)."""
    c, _ = await _owing(rc, ("300.00", "2026-01-10"))
    plan = await _accepted_plan(rc, c, grace_days=0)
    await _installments_earlier(rc, plan["id"], 11)
    first = plan["installments"][0]["invoice_id"]
    async with rc.stack.engine.connect() as payment:
        await payment.execute(text("SELECT id FROM receivables.invoices WHERE id = :i FOR UPDATE"), {"i": first})
        detect = asyncio.create_task(rc.api.post("/v1/payment-plans/detect-broken", json={}, headers=rc.admin))
        await _until_waiting(payment, detect)  # the break waits for the installment
        await payment.execute(
            text("UPDATE receivables.payment_plans SET updated_at = now() WHERE id = :p"), {"p": plan["id"]}
        )
        await payment.commit()
    answer = await detect
    assert answer.status_code == 200 and answer.json()["plan_ids"] == [plan["id"]], answer.text


async def test_the_hourly_job_breaks_plans_of_every_tenant(rc):
    from services.receivables.worker import WorkerSettings
    from tests.support import run_worker

    c, _ = await _owing(rc, ("300.00", "2026-01-10"))
    plan = await _accepted_plan(rc, c, grace_days=0)
    await _installments_earlier(rc, plan["id"], 11)
    await rc.stack.arq.enqueue_job("detect_broken_plans", _queue_name=queue_name("receivables"))
    await run_worker(WorkerSettings)
    assert (await _get(rc, f"/v1/payment-plans/{plan['id']}"))["status"] == "broken"


async def test_cancel_restores_an_accepted_plan_reject_only_a_proposed_one(rc):
    c, (inv,) = await _owing(rc, ("900.00", "2026-01-10"))
    plan = await _accepted_plan(rc, c)
    refused = await rc.api.post(f"/v1/payment-plans/{plan['id']}/reject", json={"reason": "x"}, headers=rc.admin)
    assert refused.status_code == 409
    await _pay(rc, c, "300.00")
    cancelled = await post(
        rc.api, f"/v1/payment-plans/{plan['id']}/cancel", rc.collector, {"reason": "Pidió otra fecha"}, expect=200
    )
    assert (cancelled["status"], cancelled["reason"], cancelled["broken_on"]) == ("cancelled", "Pidió otra fecha", None)
    got = await _get(rc, f"/v1/invoices/{inv['id']}")
    assert (got["status"], got["open_amount"]) == ("normal", "600.00")
    other = await post(rc.api, "/v1/payment-plans", rc.erp, _three(rc, c))
    assert other["source"] == "erp"
    late = await post(rc.api, "/v1/payment-plans", rc.erp, _three(rc, c))
    await execute(
        rc.stack,
        "UPDATE receivables.payment_plans SET schedule = jsonb_set(schedule, '{0,due_date}', "
        "to_jsonb(CAST(:d AS text))) WHERE id = CAST(:p AS uuid)",
        d=(rc.today - timedelta(days=1)).isoformat(),
        p=late["id"],
    )
    stale = await rc.api.post(f"/v1/payment-plans/{late['id']}/accept", json={}, headers=rc.erp)
    assert stale.status_code == 409 and "propose it again" in stale.json()["detail"]
    rejected = await post(rc.api, f"/v1/payment-plans/{other['id']}/reject", rc.erp, {"reason": "No"}, expect=200)
    assert rejected["status"] == "rejected"


async def test_what_a_plan_may_not_group(rc):
    c, (inv,) = await _owing(rc, ("900.00", "2026-01-10"))
    _other, (foreign,) = await _owing(rc, ("100.00", "2026-01-10"))

    async def refused(body: dict[str, Any]) -> str:
        response = await rc.api.post("/v1/payment-plans", json=body, headers=rc.collector)
        assert response.status_code == 422, response.text
        return response.json()["errors"][0]["field"]

    assert await refused(_three(rc, c, invoice_ids=[inv["id"], foreign["id"]])) == "invoice_ids[1]"
    assert await refused(_three(rc, c, currency="USD")) == "invoice_ids"  # owes nothing in USD
    listed = [{"due_date": (rc.today + timedelta(days=5)).isoformat(), "amount": "800.00"}]
    assert await refused({"customer_id": c["id"], "currency": "ARS", "schedule": listed}) == "schedule"
    await _accepted_plan(rc, c)
    assert await refused(_three(rc, c, invoice_ids=[inv["id"]])) == "invoice_ids[0]"  # already in a plan
    status = await rc.api.post(f"/v1/invoices/{inv['id']}/status", json={"status": "dispute"}, headers=rc.collector)
    assert status.status_code in (409, 422)  # an invoice in a plan changes only with its plan


async def test_portal_proposals_keep_the_tenants_limits_and_may_be_accepted_at_once(rc):
    limits = {"max_installments": 2, "portal_auto_accept": True, "grace_days": 2}
    settings = await rc.api.patch("/v1/receivables-settings", json={"plan_limits": limits}, headers=rc.admin)
    assert settings.status_code == 200, settings.text
    assert settings.json()["plan_limits"]["max_installments"] == 2
    c, _ = await _owing(rc, ("500.00", "2026-01-10"))
    refused = await as_portal(rc, "/v1/payment-plans", _three(rc, c), expect=422)
    assert refused["errors"][0]["field"] == "installments"
    body = _three(rc, c)
    body["rule"]["count"] = 2
    plan = await as_portal(rc, "/v1/payment-plans", body)
    assert (plan["source"], plan["status"], plan["grace_days"]) == ("portal", "accepted", 2)
    assert len([i for i in plan["installments"] if i["invoice_id"]]) == 2


async def test_kpis_on_a_hand_built_history(rc):
    c1, _ = await _owing(rc, ("300.00", "2026-01-10"))
    c2, _ = await _owing(rc, ("600.00", "2026-01-10"))
    c3, _ = await _owing(rc, ("90.00", "2026-01-10"))
    kept = await _accepted_plan(rc, c1)
    await _pay(rc, c1, "300.00")  # all three installments
    broken = await _accepted_plan(rc, c2, grace_days=0)
    await _pay(rc, c2, "150.00")  # the first (200) in part
    await _installments_earlier(rc, broken["id"], 11)
    await post(rc.api, "/v1/payment-plans/detect-broken", rc.admin, {}, expect=200)
    await post(rc.api, "/v1/payment-plans", rc.collector, _three(rc, c3))  # proposed only
    assert (await _get(rc, f"/v1/payment-plans/{kept['id']}"))["status"] == "completed"
    kpis = await _get(rc, f"/v1/payment-plans/kpis?from={rc.today.isoformat()}&to={rc.today.isoformat()}")
    assert {k: kpis[k] for k in ("created", "accepted", "completed", "broken", "kept_rate")} == {
        "created": 3,
        "accepted": 2,
        "completed": 1,
        "broken": 1,
        "kept_rate": "0.5000",
    }
    assert kpis["recovered"] == [{"currency": "ARS", "amount": "450.00"}]
    earlier = rc.today - timedelta(days=40)
    empty = await _get(
        rc, f"/v1/payment-plans/kpis?from={earlier.isoformat()}&to={(earlier + timedelta(days=1)).isoformat()}"
    )
    assert (empty["created"], empty["kept_rate"], empty["recovered"]) == (0, None, [])
    listed = await _get(rc, "/v1/payment-plans?status=completed")
    assert [p["id"] for p in listed["items"]] == [kept["id"]]
    assert date.fromisoformat(kpis["date_to"]) == rc.today


async def test_the_erp_proposes_with_its_own_ids(rc):
    c, _ = await _owing(rc, ("100.00", "2026-01-20"))
    inv = await invoice(rc, c["id"], amount="500.00", due_date="2026-01-10", external_id=f"F-{c['external_id']}")
    body = _three(rc, c, customer_external_id=c["external_id"], invoice_external_ids=[inv["external_id"]])
    del body["customer_id"]
    plan = await post(rc.api, "/v1/payment-plans", rc.erp, body)
    assert (plan["customer_id"], plan["invoice_ids"], plan["source"]) == (c["id"], [inv["id"]], "erp")
    body["invoice_external_ids"] = ["NO-SUCH"]
    response = await rc.api.post("/v1/payment-plans", json=body, headers=rc.erp)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "invoice_external_ids[0]"


async def test_a_proposal_racing_another_with_its_external_id_answers_409(rc):
    """The ERP sends its plan twice at once (no Idempotency-Key): while the first holds the tenant's plan numbering
    (uncommitted, its plan inserted), the second waits for it and then answers the 409 naming the external id (it
    used to check before the lock, see nothing, and hit the unique index: the safety net's anonymous 409)."""
    c, _ = await _owing(rc, ("100.00", "2026-01-20"))
    first = await post(rc.api, "/v1/payment-plans", rc.erp, _three(rc, c))
    external_id = f"PP-{c['id']}"
    async with rc.stack.engine.connect() as holder:
        await holder.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended('receivables.payment_plans:' || :t, 0))"),
            {"t": str(rc.tenant_id)},
        )
        await holder.execute(
            text(
                "INSERT INTO receivables.payment_plans SELECT (jsonb_populate_record(p, jsonb_build_object("
                "'id', gen_random_uuid(), 'number', 'PP-racing', 'external_id', CAST(:e AS text)))).* "
                "FROM receivables.payment_plans p WHERE p.id = :id"
            ),
            {"e": external_id, "id": first["id"]},
        )
        second = asyncio.create_task(
            rc.api.post("/v1/payment-plans", json=_three(rc, c, external_id=external_id), headers=rc.erp)
        )
        await _until_waiting(holder, second)  # the second request waits for the lock
        await holder.commit()
        answer = await second
    assert answer.status_code == 409, answer.text
    assert external_id in answer.json()["detail"]
    stored = await rows(rc.stack, "SELECT id FROM receivables.payment_plans WHERE external_id = :e", e=external_id)
    assert len(stored) == 1


async def test_the_erp_cannot_put_an_invoice_in_a_plan_and_its_updates_keep_it_there(rc):
    customers = [{"external_id": "C-PLAN", "name": "Cliente Plan", "country": "AR"}]
    await post(rc.api, "/v1/ingest/customers", rc.erp, {"items": customers}, expect=200)
    row = {
        "external_id": "F-PLAN",
        "customer_external_id": "C-PLAN",
        "number": "A-0001",
        "currency": "ARS",
        "amount": "500.00",
        "issue_date": "2026-01-01",
        "due_date": "2026-02-01",
    }
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [row]}, expect=200)
    c = {
        "id": str((await rows(rc.stack, "SELECT id FROM receivables.customers WHERE external_id = 'C-PLAN'"))[0]["id"])
    }
    plan = await _accepted_plan(rc, c)
    updated = await post(
        rc.api, "/v1/ingest/invoices", rc.erp, {"items": [row | {"document_url": "https://erp.example/F.pdf"}]}, 200
    )
    assert updated["updated"] == 1
    (stored,) = await rows(rc.stack, "SELECT status, plan_id FROM receivables.invoices WHERE external_id = 'F-PLAN'")
    assert (stored["status"], str(stored["plan_id"])) == ("in_plan", plan["id"])
    last = [a for a in await invoice_announcements(rc.stack) if a.number == "A-0001"][-1]
    assert (last.status, str(last.plan_id), last.reason) == ("in_plan", plan["id"], "updated by the ERP")
    refused = await rc.api.post("/v1/ingest/invoices", json={"items": [row | {"status": "in_plan"}]}, headers=rc.erp)
    assert refused.status_code == 422 or refused.json()["rejected"], refused.text


async def test_a_sandbox_plan_breaks_on_the_days_of_its_test_clock(api, stack):
    from datetime import UTC, datetime

    from services.receivables.plans.lifecycle import break_due
    from shared.db import create_sessionmaker, unit_of_work
    from tests.receivables.helpers import setup_tenant, sync

    start = datetime(2027, 4, 10, 15, 0, tzinfo=UTC)  # months after the wall clock's today
    rc = await setup_tenant(api, stack, sandbox=True)
    await post(api, "/v1/test-clock", rc.admin, {"frozen_time": start.isoformat()}, expect=200)
    await sync(stack)
    rc.today = date(2027, 4, 10)
    c, _ = await _owing(rc, ("300.00", "2027-03-01"))
    plan = await _accepted_plan(rc, c, grace_days=2)  # first installment due 2027-04-20
    assert plan["accepted_on"] == "2027-04-10"
    sessionmaker = create_sessionmaker(stack.engine)

    async def broken_at(at: datetime | None) -> list[Any]:
        async with unit_of_work(sessionmaker) as session:
            return await break_due(session, None, None, at)

    assert await broken_at(None) == []  # the tenant's clock: 2027-04-10
    assert await broken_at(start + timedelta(days=12)) == []  # 2027-04-22: the last day of grace
    assert [str(p) for p in await broken_at(start + timedelta(days=13))] == [plan["id"]]
    assert (await _get(rc, f"/v1/payment-plans/{plan['id']}"))["broken_on"] == "2027-04-23"


async def test_installments_are_no_new_sales_for_the_dso(rc):
    from shared.calendar import add_months

    c = await customer(rc)
    issued, due = rc.today - timedelta(days=10), rc.today - timedelta(days=5)
    await invoice(rc, c["id"], amount="900.00", issue_date=issued.isoformat(), due_date=due.isoformat())
    await _accepted_plan(rc, c)
    (ars,) = (await _get(rc, f"/v1/kpis/dso?as_of={rc.today.isoformat()}"))["currencies"]
    # receivables: the installments' 900; sales of the last month: the invoice's 900 only (not the installments)
    month = (rc.today - add_months(rc.today, -1)).days
    assert (ars["receivables"], D(ars["dso"])) == ("900.00", D(month))
