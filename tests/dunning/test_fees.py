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
from tests.dunning.support import Messaging, Portfolio, create_strategy, dry_run, dunning_tenant, feed, real_run

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
        {"key": "interest", "kind": "interest", "annual_rate": "0.73", "grace_days": 5},
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
    # 10000 x 0.73 x 16 / 365 = 320.00; x 28 / 365 = 560.00
    assert _short(charges, f1) == {
        "late-fee:od-15": Decimal("500.00"),
        "interest:2026-01": Decimal("320.00"),
        "interest:2026-02": Decimal("560.00"),
    }
    assert _short(charges, f2) == {"interest:2026-02": Decimal("18.00")}  # 3000 x 0.73 x 3 / 365
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
