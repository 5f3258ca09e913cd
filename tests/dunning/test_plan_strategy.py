"""Payment plans in dunning (issue 19, seed 004: "Renegociar la deuda a tres plazos"), through the API against the
real PostgreSQL and Redis, with receivables' events fed to dunning's inbox: an accepted plan's invoices are
``in_plan`` (paused, out of every message's position, their steps done kept), its installments (invoices of kind
``installment`` naming the plan) are reminded before and after their own due dates by the payment plans' strategy
while the customer's other invoices follow the customer's, a broken plan never repeats a step already sent, and
without a payment plans' strategy installments follow the customer's."""

import uuid
from datetime import date, timedelta

from sqlalchemy import text

from tests.dunning.support import Messaging, Portfolio, create_strategy, dunning_tenant, real_run

MONDAY = date(2025, 6, 2)  # F-1 and F-2 are 16 days overdue: the customer's strategy's od-15
NEXT_MONDAY = date(2025, 6, 9)  # the plan's first installment is due on Thursday 12 June
WEDNESDAY_18 = date(2025, 6, 18)  # the first installment is 6 days overdue: the plans' od-2
PLAN_STEPS = [
    {"key": "cuota-pre-5", "kind": "pre_due", "days": 5, "channels": ["email"]},
    {"key": "cuota-od-2", "kind": "overdue", "days": 2, "tone": 2, "channels": ["email"]},
]


async def _plans_strategy(api, headers) -> dict:
    return await create_strategy(
        api, headers, name="Cuotas", priority=50, is_default=False, for_payment_plans=True, steps=PLAN_STEPS
    )


async def _accept_plan(portfolio: Portfolio, customer: uuid.UUID, grouped: list[str]) -> uuid.UUID:
    """What receivables announces when a plan is accepted: the grouped invoices ``in_plan``, three installments."""
    plan_id = uuid.uuid4()
    for number in grouped:
        await portfolio.change_invoice(number, status="in_plan", plan_id=plan_id)
    for n, due in enumerate((date(2025, 6, 12), date(2025, 7, 14), date(2025, 8, 12)), start=1):
        await portfolio.invoice(
            customer, f"C-{n}", due=due, issue=NEXT_MONDAY, amount="700.00", kind="installment", plan_id=plan_id
        )
    return plan_id


RUNS: list[dict] = []


async def _sent_on(api, headers, messaging: Messaging, day: date) -> list:
    run = await real_run(api, headers, day)
    assert run["status"] == "completed", run
    RUNS.append(run)
    return await messaging.take_and_accept()


async def _dispatched_steps(stack, tenant_id: uuid.UUID, day: date) -> dict[str, str]:
    async with stack.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT i.number, u.step_key FROM dunning.dispatches d, "
                "unnest(d.invoice_ids, d.step_keys) AS u(invoice_id, step_key) "
                "JOIN dunning.invoices i ON i.tenant_id = :t AND i.id = u.invoice_id "
                "WHERE d.tenant_id = :t AND d.as_of = :day"
            ),
            {"t": tenant_id, "day": day},
        )
        return {number: key for number, key in rows.all()}


async def test_installments_follow_the_plans_strategy_and_the_other_invoices_the_customers(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    plans = await _plans_strategy(api, tenant.admin)
    assert plans["for_payment_plans"] is True
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com")
    for number in ("F-1", "F-2"):
        await portfolio.invoice(ana, number, due=MONDAY - timedelta(days=16), issue=MONDAY - timedelta(days=46))
    assert len(await _sent_on(api, tenant.admin, messaging, MONDAY)) == 1
    assert await _dispatched_steps(stack, tenant.id, MONDAY) == {"F-1": "od-15", "F-2": "od-15"}

    await _accept_plan(portfolio, ana, ["F-1", "F-2"])
    await portfolio.invoice(ana, "F-9", due=NEXT_MONDAY - timedelta(days=1), issue=NEXT_MONDAY - timedelta(days=31))
    (second,) = await _sent_on(api, tenant.admin, messaging, NEXT_MONDAY)
    # the first installment 3 days before its due date (the plans' pre-5), F-9 by the customer's strategy (od-1);
    # the grouped invoices are paused and out of the position, the installments in it
    assert await _dispatched_steps(stack, tenant.id, NEXT_MONDAY) == {"C-1": "cuota-pre-5", "F-9": "od-1"}
    assert {line.number for line in second.invoices} == {"C-1", "C-2", "C-3", "F-9"}
    # the run counts each step under its own strategy, though one message carries both
    by_step = {(s["strategy"], s["step_key"]): s["invoices"] for s in RUNS[-1]["counts"]["by_step"]}
    assert by_step == {("Cuotas", "cuota-pre-5"): 1, ("Standard", "od-1"): 1}
    assert [(t.currency, t.amount) for t in second.open_totals] == [("ARS", 3100)]  # 3 x 700 + 1000

    explained = await api.get(
        f"/v1/dunning-explain/{ana}", params={"as_of": NEXT_MONDAY.isoformat()}, headers=tenant.admin
    )
    assert explained.status_code == 200, explained.text
    by_number = {i["number"]: i for i in explained.json()["invoices"]}
    assert set(by_number) == {"C-1", "C-2", "C-3", "F-9"}  # in_plan invoices are no longer open for dunning
    assert by_number["C-2"]["strategy"]["name"] == "Cuotas" and by_number["C-2"]["strategy"]["for_payment_plans"]
    assert "installment of payment plan" in by_number["C-2"]["strategy_reason"]
    assert by_number["C-2"]["next_step"]["key"] == "cuota-pre-5"
    assert by_number["F-9"]["strategy"]["name"] == "Standard"
    assert explained.json()["strategy"]["name"] == "Standard"  # the customer's own

    (third,) = await _sent_on(api, tenant.admin, messaging, WEDNESDAY_18)
    assert await _dispatched_steps(stack, tenant.id, WEDNESDAY_18) == {"C-1": "cuota-od-2"}
    assert third.tone == 2


async def test_a_broken_plan_brings_its_invoices_back_without_repeating_a_step(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    await _plans_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com")
    await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=16), issue=MONDAY - timedelta(days=46))
    assert len(await _sent_on(api, tenant.admin, messaging, MONDAY)) == 1
    assert await _dispatched_steps(stack, tenant.id, MONDAY) == {"F-1": "od-15"}
    await _accept_plan(portfolio, ana, ["F-1"])
    async with stack.engine.connect() as conn:
        status, done = (
            await conn.execute(
                text(
                    "SELECT status, cardinality(steps_done) FROM dunning.invoices "
                    "WHERE tenant_id = :t AND number = 'F-1'"
                ),
                {"t": tenant.id},
            )
        ).one()
    assert (status, done) == ("in_plan", 1)  # kept while the plan lasts

    # Broken: the installments void, F-1 back to normal with its own due date (24 days overdue on 10 June)
    for number in ("C-1", "C-2", "C-3"):
        await portfolio.change_invoice(number, status="void", open_amount="0")
    await portfolio.change_invoice("F-1", status="normal", plan_id=None, open_amount="650.00")
    tuesday = NEXT_MONDAY + timedelta(days=1)
    assert await _sent_on(api, tenant.admin, messaging, tuesday) == []
    explained = await api.get(f"/v1/dunning-explain/{ana}", params={"as_of": tuesday.isoformat()}, headers=tenant.admin)
    (f1,) = explained.json()["invoices"]
    assert (f1["number"], f1["reason"], f1["days_overdue"]) == ("F-1", "step_already_sent", 24)
    assert f1["next_step"]["key"] == "od-30"


async def test_without_a_plans_strategy_installments_follow_the_customers(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com")
    await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=16), issue=MONDAY - timedelta(days=46))
    await _accept_plan(portfolio, ana, ["F-1"])
    await _sent_on(api, tenant.admin, messaging, NEXT_MONDAY)
    # issued today: the customer's new-invoice notice, caught up by its pre-3 for C-1, due on Thursday
    expected = {"C-1": "pre-3", "C-2": "new", "C-3": "new"}
    assert await _dispatched_steps(stack, tenant.id, NEXT_MONDAY) == expected


async def test_one_live_plans_strategy_that_no_customer_is_given(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    await _plans_strategy(api, tenant.admin)
    second = await api.post(
        "/v1/strategies",
        json={"name": "Otra", "priority": 60, "for_payment_plans": True, "steps": PLAN_STEPS},
        headers=tenant.admin,
    )
    assert second.status_code == 409, second.text
    bad = await api.post(
        "/v1/strategies",
        json={
            "name": "Mala",
            "is_default": True,
            "for_payment_plans": True,
            "match": {"vip": True},
            "steps": PLAN_STEPS,
        },
        headers=tenant.admin,
    )
    assert bad.status_code == 422, bad.text
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"for_payment_plans", "match"} <= fields
    inactive = await api.post(
        "/v1/strategies",
        json={"name": "Borrador", "priority": 60, "for_payment_plans": True, "active": False, "steps": PLAN_STEPS},
        headers=tenant.admin,
    )
    assert inactive.status_code == 201, inactive.text  # a draft beside the live one
