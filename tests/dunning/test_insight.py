"""Explain (why did or didn't a customer get a message) and forecast (what the next days will send),
checked against what the runs then actually do."""

import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest

from shared.contracts.messaging import ReplyReceived
from tests.dunning.support import STANDARD_STEPS, Messaging, Portfolio, create_strategy, dunning_tenant, feed, real_run

START = date(2025, 6, 2)


async def test_explain_answers_why_and_what_next(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    await create_strategy(
        api,
        tenant.admin,
        name="Riesgo alto",
        priority=10,
        is_default=False,
        match={"risk_levels": ["high"]},
        steps=[{"key": "r-1", "kind": "overdue", "days": 1, "tone": 2, "channels": ["sms", "email"]}],
    )
    portfolio = Portfolio(stack, tenant.id)
    ana = await portfolio.customer(
        "Ana", email="ana@example.com", sms="+5491155551111", risk_level="high", opted_out_channels=["sms"]
    )
    await portfolio.invoice(ana, "F-1", due=START - timedelta(days=1), issue=START - timedelta(days=31))
    await portfolio.invoice(ana, "F-2", due=START + timedelta(days=10), issue=START - timedelta(days=20))
    await portfolio.invoice(ana, "F-3", due=START - timedelta(days=5), status="dispute")
    response = await api.get(f"/v1/dunning-explain/{ana}", params={"as_of": START.isoformat()}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["strategy"]["name"] == "Riesgo alto"
    assert body["strategy_reason"] == "priority 10: risk level is high"
    channels = {c["channel"]: c for c in body["channels"]}
    assert channels["sms"]["problem"] == "opted out"
    assert channels["whatsapp"]["problem"] == "no contact"
    assert channels["email"]["usable"] is True
    invoices = {i["number"]: i for i in body["invoices"]}
    assert invoices["F-1"]["outcome"] == "due"
    assert invoices["F-1"]["due_step"]["key"] == "r-1"
    assert invoices["F-1"]["due_step"]["channel"] == "email"  # SMS preferred, but opted out
    assert invoices["F-1"]["next_step"] is None  # the strategy has no later step
    assert invoices["F-2"]["reason"] == "no_step_yet"
    assert invoices["F-2"]["next_step"] == {**invoices["F-2"]["next_step"], "key": "r-1", "date": "2025-06-13"}
    assert invoices["F-3"]["reason"] == "paused_dispute"
    assert invoices["F-3"]["outcome"] == "excluded"
    (planned,) = body["planned"]
    assert planned["channel"] == "email"
    assert planned["tone"] == 2
    holiday = await api.get(f"/v1/dunning-explain/{ana}", params={"as_of": "2025-06-20"}, headers=tenant.admin)
    assert holiday.json()["business_day"] is False
    assert "public holiday" in holiday.json()["closed_reason"]
    on_holiday = {i["number"]: i["reason"] for i in holiday.json()["invoices"]}
    assert on_holiday == {"F-3": "paused_dispute", "F-1": "not_business_day", "F-2": "not_business_day"}
    assert holiday.json()["next_business_day"] == "2025-06-23"
    assert (await api.get(f"/v1/dunning-explain/{tenant.id}", headers=tenant.admin)).status_code == 404


@pytest.mark.parametrize("seed", [7, 11])
async def test_forecast_matches_what_the_runs_then_send(api, stack, seed):
    """Also with customers who replied (issue 10): their reminders wait for the pause's end in both; and a call
    step (issue 18): its tasks to come are the calls the runs then ask for."""
    rng = random.Random(seed)
    tenant = await dunning_tenant(api, stack)
    call = {"key": "call-8", "kind": "call", "days": 8, "script": "Llamar a {{ customer.name }}"}
    await create_strategy(api, tenant.admin, steps=[*STANDARD_STEPS[:3], call, *STANDARD_STEPS[3:]])
    await create_strategy(  # issue 19: the installments of payment plans follow a strategy of their own
        api,
        tenant.admin,
        name="Cuotas",
        priority=1,
        is_default=False,
        for_payment_plans=True,
        steps=[
            {"key": "cuota-pre-5", "kind": "pre_due", "days": 5, "channels": ["sms", "email", "whatsapp"]},
            {"key": "cuota-od-2", "kind": "overdue", "days": 2, "tone": 2, "channels": ["email", "sms"]},
        ],
    )
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    replies = []
    for n in range(15):
        contacts = rng.choice(
            [{"email": f"c{n}@example.com"}, {"sms": "+5491155551234"}, {"whatsapp": "+5491155551234"}, {}]
        )
        customer = await portfolio.customer(
            f"Cliente {n}", **contacts, opted_out_channels=rng.choice([[], [], ["email"], ["sms"]])
        )
        if n % 5 == 0:  # wrote back a few days before the forecast's start: reminders paused into its first days
            replied = datetime.combine(START - timedelta(days=rng.randint(0, 2)), time(15), tzinfo=UTC)
            replies.append(
                ReplyReceived(
                    reply_id=uuid.uuid4(),
                    customer_id=customer,
                    channel="email",
                    from_address="x@example.com",
                    body="ya pagué",
                    received_at=replied,
                )
            )
        plan = {"kind": "installment", "plan_id": uuid.uuid4()} if n % 3 == 1 else {}
        for k in range(rng.randint(1, 3)):
            due = START + timedelta(days=rng.randint(-50, 35))
            await portfolio.invoice(
                customer, f"F-{n}-{k}", due=due, issue=due - timedelta(days=rng.choice([0, 15, 30])), **plan
            )
    await feed(stack, tenant.id, replies)
    days = 30
    response = await api.get(
        "/v1/dunning-forecast", params={"from": START.isoformat(), "days": days}, headers=tenant.admin
    )
    assert response.status_code == 200, response.text
    forecast = response.json()
    assert forecast["from"] == START.isoformat()
    assert len(forecast["days"]) == days

    actual: dict[str, dict] = defaultdict(lambda: {"by_channel": Counter(), "by_step": Counter()})
    for n in range(days):
        day = START + timedelta(days=n)
        run = await real_run(api, tenant.admin, day)
        await messaging.take_and_accept()
        for channel, count in run["counts"].get("by_channel", {}).items():
            actual[day.isoformat()]["by_channel"][channel] += count
        for step in run["counts"].get("by_step", []):
            actual[day.isoformat()]["by_step"][step["step_key"]] += step["invoices"]
    for entry in forecast["days"]:
        got = actual[entry["date"]]
        assert dict(got["by_channel"]) == entry["by_channel"], entry["date"]
        assert dict(got["by_step"]) == {s["step_key"]: s["invoices"] for s in entry["by_step"]}, entry["date"]
        assert entry["communications"] == sum(v for k, v in got["by_channel"].items() if k not in ("task", "call"))
        assert entry["calls"] == got["by_channel"].get("call", 0) == len(entry["call_tasks"]), entry["date"]
    assert forecast["totals"]["communications"] > 10
    assert forecast["totals"]["calls"] > 0
    assert any(s["strategy"] == "Cuotas" for d in forecast["days"] for s in d["by_step"])


async def test_forecast_previews_an_inactive_strategy(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    draft = await create_strategy(
        api,
        tenant.admin,
        name="Borrador",
        priority=1,
        is_default=False,
        active=False,
        steps=[{"key": "d-2", "kind": "overdue", "days": 2, "tone": 1, "channels": ["email"]}],
    )
    portfolio = Portfolio(stack, tenant.id)
    ana = await portfolio.customer("Ana", email="ana@example.com")
    await portfolio.invoice(ana, "F-1", due=START, issue=START - timedelta(days=30))
    params = {"from": START.isoformat(), "days": 7}
    current = (await api.get("/v1/dunning-forecast", params=params, headers=tenant.admin)).json()
    preview = (
        await api.get("/v1/dunning-forecast", params={**params, "strategy_id": draft["id"]}, headers=tenant.admin)
    ).json()
    assert [(d["date"], [s["step_key"] for s in d["by_step"]]) for d in current["days"] if d["by_step"]] == [
        ("2025-06-02", ["pre-3"]),  # catch-up: the pre-due reminder of 30 May (a Friday) was never sent
        ("2025-06-03", ["od-1"]),
    ]
    assert [(d["date"], [s["step_key"] for s in d["by_step"]]) for d in preview["days"] if d["by_step"]] == [
        ("2025-06-04", ["d-2"])
    ]
    assert preview["preview_strategy_id"] == draft["id"]
