"""Late charges through the API and real runs (issue 19): fixed at a step, percentage, monthly interest with
grace, minimum, cap, the legal maximum; re-running the day and later days charges nothing twice; a waived charge
(receivables' ``ChargeChanged``) leaves the next message."""

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from dunning_service.fees.rules import charge_id
from shared.contracts.common import ChargeKind, ChargeStatus
from shared.contracts.dunning import ChargesAssessed
from shared.contracts.receivables import ChargeChanged
from tests.dunning.support import (
    STANDARD_STEPS,
    Messaging,
    Portfolio,
    create_strategy,
    dry_run,
    dunning_tenant,
    feed,
    real_run,
)

DAY = date(2026, 3, 2)  # a Monday, a business day in AR


async def _charges(stack, tenant_id: uuid.UUID) -> dict[str, tuple[Decimal, str]]:
    async with stack.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT key, amount, status FROM dunning.charges WHERE tenant_id = :t ORDER BY key"),
                {"t": tenant_id},
            )
        ).all()
    return {row.key: (row.amount, row.status) for row in rows}


async def _assessed(stack, tenant_id: uuid.UUID) -> list[ChargesAssessed]:
    async with stack.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT payload FROM dunning.outbox WHERE tenant_id = :t AND message_type = :m ORDER BY seq"),
                {"t": tenant_id, "m": ChargesAssessed.message_type},
            )
        ).all()
    return [ChargesAssessed.model_validate(row.payload) for row in rows]


def _short(charges: dict[str, Any], invoice_id: uuid.UUID) -> dict[str, Decimal]:
    prefix = f"fee:{invoice_id}:"
    return {k.removeprefix(prefix): v[0] for k, v in charges.items() if k.startswith(prefix)}


async def test_fixed_at_a_step_and_monthly_interest_with_grace_charged_once(api, stack):
    tenant = await dunning_tenant(api, stack)
    fees = [
        {"key": "late-fee", "kind": "fixed", "at_step": "od-15", "amounts": {"ARS": "500.00"}},
        {"key": "interest", "kind": "interest", "annual_rate": "73", "grace_days": 5},
    ]
    strategy = await create_strategy(api, tenant.admin, fees=fees)
    assert strategy["fees"][0]["at_step"] == "od-15"
    portfolio = Portfolio(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com")
    # due Jan 10: 51 days overdue on Mar 2; interest from Jan 16 (5 days of grace): January 16 days, February 28
    f1 = await portfolio.invoice(ana, "F-1", due=date(2026, 1, 10), issue=date(2025, 12, 10), amount="10000.00")
    # due Feb 20: 10 days overdue, not at od-15 yet; interest from Feb 26: 3 days of February
    f2 = await portfolio.invoice(ana, "F-2", due=date(2026, 2, 20), issue=date(2026, 1, 20), amount="3000.00")

    run = await real_run(api, tenant.admin, DAY)
    assert run["counts"]["charges"] == {"count": 4, "amounts": [{"currency": "ARS", "amount": "1398.00"}]}
    charges = await _charges(stack, tenant.id)
    # 10000 x 73% x 16 / 365 = 320.00; x 28 / 365 = 560.00
    assert _short(charges, f1) == {
        "late-fee:od-15": Decimal("500.00"),
        "interest:2026-01": Decimal("320.00"),
        "interest:2026-02": Decimal("560.00"),
    }
    assert _short(charges, f2) == {"interest:2026-02": Decimal("18.00")}  # 3000 x 73% x 3 / 365
    (announced,) = await _assessed(stack, tenant.id)
    assert announced.run_id == uuid.UUID(run["id"])
    assert {c.key for c in announced.charges} == set(charges)
    for c in announced.charges:
        assert c.charge_id == charge_id(tenant.id, c.key)
        assert c.charged_on == DAY
    assert {c.kind for c in announced.charges} == {ChargeKind.FIXED, ChargeKind.INTEREST}

    # the same day again, and the following days of the month: nothing new
    for later in (DAY, DAY + timedelta(days=1), DAY + timedelta(days=3)):
        again = await real_run(api, tenant.admin, later)
        assert again["counts"].get("charges") is None, later
    assert await _charges(stack, tenant.id) == charges
    assert len(await _assessed(stack, tenant.id)) == 1

    # April 1: March is over; F-2 reached od-15 on Mar 7 and accrues from Feb 26
    april = await real_run(api, tenant.admin, date(2026, 4, 1))
    assert april["counts"]["charges"]["count"] == 3
    charges = await _charges(stack, tenant.id)
    assert _short(charges, f1)["interest:2026-03"] == Decimal("620.00")  # 31 days
    assert _short(charges, f2) == {
        "late-fee:od-15": Decimal("500.00"),
        "interest:2026-02": Decimal("18.00"),
        "interest:2026-03": Decimal("186.00"),
    }


async def test_tenant_defaults_percentage_minimum_cap_and_legal_maximum(api, stack):
    tenant = await dunning_tenant(api, stack)
    defaults = [
        {"key": "pct", "kind": "percentage", "percent": "2", "grace_days": 10, "minimum": {"ARS": "100.00"}},
        {"key": "int", "kind": "interest", "annual_rate": "40", "cap": {"amounts": {"ARS": "150.00"}}},
    ]
    settings = {"legal_max_annual_rate": "50", "fee_rules": defaults}
    response = await api.patch("/v1/dunning-settings", json=settings, headers=tenant.admin)
    assert response.status_code == 200, response.text
    shown = (await api.get("/v1/dunning-settings", headers=tenant.admin)).json()
    assert shown["legal_max_annual_rate"] == "50"
    assert [r["key"] for r in shown["fee_rules"]] == ["pct", "int"]
    await create_strategy(api, tenant.admin)  # no fees of its own: the tenant's defaults apply
    portfolio = Portfolio(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com")
    # 60 days overdue: 2% of 1000 = 20, raised to the minimum, 100; the legal maximum is 1000 x 50% x 60 / 365 =
    # 82.19, so the fee is clipped to it and the interest (Jan: 32.88, Feb: 30.68) finds no room left
    small = await portfolio.invoice(ana, "F-1", due=date(2026, 1, 1), issue=date(2025, 12, 1), amount="1000.00")
    # 121 days overdue: 2% = 2000; interest Nov (29 days: 3178.08) clipped to its cap, 150, the later months to 0
    large = await portfolio.invoice(ana, "F-2", due=date(2025, 11, 1), issue=date(2025, 10, 1), amount="100000.00")
    # a credit note and an invoice under a promise owe nothing
    await portfolio.invoice(ana, "NC-1", due=date(2025, 11, 1), amount="500.00", kind="credit_note")
    await portfolio.invoice(ana, "F-3", due=date(2025, 11, 1), amount="500.00", status="promise_to_pay")

    plan = await dry_run(api, tenant.admin, DAY)
    assert plan["counts"]["charges"] == {"count": 3, "amounts": [{"currency": "ARS", "amount": "2232.19"}]}
    assert await _charges(stack, tenant.id) == {}  # a dry run writes nothing

    run = await real_run(api, tenant.admin, DAY)
    assert run["counts"]["charges"] == plan["counts"]["charges"]
    charges = await _charges(stack, tenant.id)
    assert _short(charges, small) == {"pct:overdue": Decimal("82.19")}
    assert _short(charges, large) == {"pct:overdue": Decimal("2000.00"), "int:2025-11": Decimal("150.00")}
    again = await real_run(api, tenant.admin, DAY)
    assert again["counts"].get("charges") is None
    assert await _charges(stack, tenant.id) == charges


async def test_fee_rules_are_checked_naming_the_field(api, stack):
    tenant = await dunning_tenant(api, stack)
    response = await api.patch("/v1/dunning-settings", json={"legal_max_annual_rate": "50"}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    fees = [
        {"key": "fee", "kind": "fixed", "at_step": "nope", "amounts": {"ARS": "10.001"}},
        {"key": "int", "kind": "interest"},
        {"key": "usury", "kind": "interest", "annual_rate": "60"},
        {"key": "early", "kind": "percentage", "percent": "1", "at_step": "pre-3"},
    ]
    body = {"name": "Standard", "is_default": True, "steps": STANDARD_STEPS, "fees": fees}
    response = await api.post("/v1/strategies", json=body, headers=tenant.admin)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [
        "fees[0].at_step",
        "fees[0].amounts.ARS",
        "fees[1].annual_rate",
        "fees[2].annual_rate",
        "fees[3].at_step",
    ]
    ok = [{"key": "int", "kind": "interest", "annual_rate": "40"}]
    strategy = await create_strategy(api, tenant.admin, fees=ok)
    # the legal maximum cannot go below a rule's rate; the defaults name no step
    lower = await api.patch("/v1/dunning-settings", json={"legal_max_annual_rate": "30"}, headers=tenant.admin)
    assert lower.status_code == 422, lower.text
    assert [e["field"] for e in lower.json()["errors"]] == ["legal_max_annual_rate"]
    # rates are percents a year, up to 1000 (a fraction such as 0.6 reads as 0.6% a year)
    above = await api.patch("/v1/dunning-settings", json={"legal_max_annual_rate": "1001"}, headers=tenant.admin)
    assert above.status_code == 422, above.text
    assert [e["field"] for e in above.json()["errors"]] == ["legal_max_annual_rate"]
    bad = [{"key": "f", "kind": "fixed", "at_step": "od-1", "amounts": {"ARS": "5"}}]
    response = await api.patch("/v1/dunning-settings", json={"fee_rules": bad}, headers=tenant.admin)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["fee_rules[0].at_step"]
    # removing a step a fee names is refused too; fees left out stay, null goes back to the tenant's defaults
    fixed = [{"key": "f", "kind": "fixed", "at_step": "od-15", "amounts": {"ARS": "5"}}]
    edited = await api.patch(f"/v1/strategies/{strategy['id']}", json={"fees": fixed}, headers=tenant.admin)
    assert edited.status_code == 200, edited.text
    steps = [s for s in STANDARD_STEPS if s["key"] != "od-15"]
    gone = await api.patch(f"/v1/strategies/{strategy['id']}", json={"steps": steps}, headers=tenant.admin)
    assert gone.status_code == 422, gone.text
    assert [e["field"] for e in gone.json()["errors"]] == ["fees[0].at_step"]
    cleared = await api.patch(f"/v1/strategies/{strategy['id']}", json={"fees": None}, headers=tenant.admin)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["fees"] is None


async def test_messages_carry_open_charges_and_a_waived_one_leaves_them(api, stack):
    tenant = await dunning_tenant(api, stack)
    fees = [
        {"key": "late-fee", "kind": "fixed", "name": "Cargo por mora", "at_step": "od-1", "amounts": {"ARS": "500"}}
    ]
    await create_strategy(api, tenant.admin, fees=fees)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com")
    f1 = await portfolio.invoice(ana, "F-1", due=DAY - timedelta(days=1), issue=DAY - timedelta(days=31))

    explained = (await api.get(f"/v1/dunning-explain/{ana}?as_of={DAY}", headers=tenant.admin)).json()
    assert explained["fee_rules_from"] == "strategy"
    assert [(c["key"], c["amount"], c["status"]) for c in explained["charges_due"]] == [
        (f"fee:{f1}:late-fee:od-1", "500.00", "due")
    ]
    await real_run(api, tenant.admin, DAY)
    (sent,) = await messaging.take_and_accept()
    # the charge assessed by this very run is in its message (charges are assessed before hand-over builds them)
    (line,) = sent.charges
    key = f"fee:{f1}:late-fee:od-1"
    assert line.charge_id == charge_id(tenant.id, key)
    assert line.charged_on == DAY
    assert (line.invoice_number, line.kind, line.amount, line.description) == (
        "F-1",
        "fixed",
        500,
        "Cargo por mora od-1",
    )
    explained = (await api.get(f"/v1/dunning-explain/{ana}?as_of={DAY}", headers=tenant.admin)).json()
    assert [(c["key"], c["status"]) for c in explained["charges"]] == [(key, "open")]
    assert explained["charges_due"] == []

    # receivables: recorded (open), then a manager waived it
    changed = dict(
        charge_id=line.charge_id, key=key, invoice_id=f1, invoice_number="F-1", customer_id=ana,
        kind=ChargeKind.FIXED, description=line.description, currency="ARS", amount=Decimal(500), charged_on=DAY,
    )  # fmt: skip
    waived = ChargeChanged(**changed, status=ChargeStatus.WAIVED, waived_by="manager", waive_reason="good customer")
    await feed(stack, tenant.id, [waived, ChargeChanged(**changed, status=ChargeStatus.OPEN)])  # a late 'open'
    assert (await _charges(stack, tenant.id))[key][1] == "waived"
    await real_run(api, tenant.admin, DAY + timedelta(days=14))
    (later,) = await messaging.take_and_accept()
    assert later.data["steps"] == {str(f1): "od-15"}
    assert later.charges == []
