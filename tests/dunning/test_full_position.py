"""Issue 12's done-when, dunning side, through the real run path: when one invoice reaches a step, the one message
carries the customer's whole open position (seed 004's model email: every invoice, the overdue total, the oldest
days overdue), net of the credits receivables' snapshot reports, in the tone the age of the debt calls for."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text

from tests.dunning.support import Messaging, Portfolio, create_strategy, dry_run, dunning_tenant, real_run

MONDAY = date(2025, 6, 2)
EARLIER = date(2025, 5, 28)  # a Wednesday: the older invoices had their reminder then
OD_1 = [{"key": "od-1", "kind": "overdue", "days": 1, "tone": 1, "channels": ["email"]}]


async def seed_004_customer(portfolio: Portfolio) -> dict:
    """Three overdue invoices of different ages, one not yet due, one promised, and a credit of 500 ARS."""
    ana = await portfolio.customer(
        "Lácteos del Plata S.A.", email="pagos@lacteos.example", credits=[{"currency": "ARS", "amount": "500"}]
    )
    await portfolio.invoice(ana, "F-84", due=MONDAY - timedelta(days=84), amount="2500.50")
    await portfolio.invoice(ana, "F-30", due=MONDAY - timedelta(days=30))
    await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=1), amount="700")
    await portfolio.invoice(ana, "F-UP", due=MONDAY + timedelta(days=10), amount="400")
    await portfolio.invoice(
        ana,
        "F-PR",
        due=MONDAY - timedelta(days=40),
        amount="900",
        status="promise_to_pay",
        promised_date=MONDAY + timedelta(days=5),
    )
    return {"id": ana}


async def test_one_invoice_reaching_a_step_sends_one_message_with_the_whole_position(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin, steps=OD_1)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = (await seed_004_customer(portfolio))["id"]
    # F-84 and F-30 had their reminder on an earlier day; F-1 is not overdue then
    await real_run(api, tenant.admin, EARLIER)
    (earlier,) = await messaging.take_and_accept()
    assert sorted(i.number for i in earlier.invoices if i.triggered) == ["F-30", "F-84"]

    plan = await dry_run(api, tenant.admin, MONDAY)
    (planned,) = plan["plan"]
    assert [i["number"] for i in planned["invoices"]] == ["F-1"]
    assert [i["number"] for i in planned["position"]["invoices"]] == ["F-84", "F-PR", "F-30", "F-1", "F-UP"]
    assert planned["position"]["totals"] == [{"currency": "ARS", "amount": "3700.50"}]
    assert plan["counts"]["by_tone"] == {"3": 1}

    run = await real_run(api, tenant.admin, MONDAY)
    assert run["counts"]["communications"] == 1
    (sent,) = await messaging.take_and_accept()
    assert [(i.number, i.triggered) for i in sent.invoices] == [
        ("F-84", False),
        ("F-PR", False),
        ("F-30", False),
        ("F-1", True),
        ("F-UP", False),
    ]
    assert [i.days_overdue for i in sent.invoices] == [84, 40, 30, 1, -10]
    promised = sent.invoices[1]
    assert (promised.status, promised.demanded, promised.promised_date) == (
        "promise_to_pay",
        False,
        MONDAY + timedelta(days=5),
    )
    assert all(i.demanded for i in sent.invoices if i.number != "F-PR")
    # overdue and demanded (2500.50 + 1000 + 700), net of the 500 ARS credit; the promised 900 is not asked for
    assert [(t.currency, t.amount) for t in sent.totals] == [("ARS", Decimal("3700.50"))]
    assert [(t.currency, t.amount) for t in sent.open_totals] == [("ARS", Decimal("4100.50"))]
    assert [(c.currency, c.amount) for c in sent.credits] == [("ARS", Decimal("500"))]
    assert sent.overdue_count == 3
    assert sent.oldest_days_overdue == 84
    assert sent.tone == 3  # od-1 says friendly; an invoice 84 days overdue calls for the firm tone (seed 004)
    assert sent.attach_statement

    async with stack.engine.connect() as conn:
        carried = (
            await conn.execute(text("SELECT invoice_ids FROM dunning.dispatches WHERE run_id = :r"), {"r": run["id"]})
        ).scalar_one()
    assert carried == [portfolio.by_number["F-1"]]  # only the trigger's step is recorded

    explained = (
        await api.get(f"/v1/dunning-explain/{ana}", params={"as_of": MONDAY.isoformat()}, headers=tenant.admin)
    ).json()
    assert explained["planned"] == []  # already sent today


async def test_a_step_that_pins_its_tone_keeps_it_and_a_credit_change_reaches_the_message(api, stack):
    tenant = await dunning_tenant(api, stack)
    pinned = [{**OD_1[0], "pin_tone": True}]
    strategy = await create_strategy(api, tenant.admin, steps=pinned)
    assert strategy["steps"][0]["pin_tone"] is True
    portfolio = Portfolio(stack, tenant.id)
    ana = (await seed_004_customer(portfolio))["id"]
    await portfolio.change_customer(
        ana, credits=[{"currency": "ARS", "amount": "9000"}, {"currency": "USD", "amount": "5"}]
    )

    explained = (
        await api.get(f"/v1/dunning-explain/{ana}", params={"as_of": MONDAY.isoformat()}, headers=tenant.admin)
    ).json()
    (planned,) = explained["planned"]
    assert planned["tone"] == 1  # pinned: the strategy's friendly tone stands
    position = planned["position"]
    assert sorted(i["number"] for i in position["invoices"] if i["triggered"]) == ["F-1", "F-30", "F-84"]
    assert position["totals"] == [{"currency": "ARS", "amount": "0"}]  # never below zero
    assert position["credits"] == [{"currency": "ARS", "amount": "9000"}, {"currency": "USD", "amount": "5"}]
    assert position["overdue_count"] == 3
    assert position["oldest_days_overdue"] == 84
