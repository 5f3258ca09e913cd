"""A payment plan from receivables' API to dunning's messages and back (issue 19; seed 004: "Renegociar la deuda a
tres plazos"), with the real receivables and dunning: the two halves were written against the contract alone, so
this holds them together. Accepted in receivables, the plan's invoices reach dunning ``in_plan`` (out of the
message's position) and its installments with their ``plan_id``, which the strategy for payment plans reminds before
their due date; the installments paid, the plan completes and dunning learns its invoices are paid."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from tests.dunning.support import Messaging, create_strategy, deliver, dunning_tenant, real_run
from tests.support import create_api_key
from tests.tenant_clock_support import start_test_clock

CLOCK = datetime(2027, 4, 16, 15, 0, tzinfo=UTC)  # Friday 16 April 2027, 12:00 in Buenos Aires
TODAY = date(2027, 4, 16)
FIRST_DUE = date(2027, 4, 19)  # a Monday: the plans' pre-due reminder (3 days before) falls on today
OD1 = [{"key": "od-1", "kind": "overdue", "days": 1, "tone": 1, "channels": ["email"]}]
PLAN_STEPS = [
    {"key": "cuota-pre-3", "kind": "pre_due", "days": 3, "channels": ["email"]},
    {"key": "cuota-od-2", "kind": "overdue", "days": 2, "tone": 2, "channels": ["email"]},
]


async def _post(api, path: str, headers, body, expect: int = 201) -> dict:
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def _projected(stack, tenant_id) -> dict[str, tuple[str, str, bool]]:
    """Dunning's projection: number -> (kind, status, names a plan)."""
    async with stack.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT number, kind, status, plan_id FROM dunning.invoices WHERE tenant_id = :t"), {"t": tenant_id}
        )
        return {r.number: (r.kind, r.status, r.plan_id is not None) for r in rows}


async def test_an_accepted_plan_reaches_dunning_which_reminds_its_installments_until_it_completes(api, stack):
    tenant = await dunning_tenant(api, stack, sandbox=True)
    admin, erp = tenant.admin, await create_api_key(api, tenant)
    await start_test_clock(api, tenant, CLOCK)
    await deliver(stack)
    await create_strategy(api, admin, steps=OD1)
    await create_strategy(
        api, admin, name="Cuotas", priority=50, is_default=False, for_payment_plans=True, steps=PLAN_STEPS
    )
    customer = await _post(
        api, "/v1/customers", erp, {"name": "Ana SRL", "contacts": [{"channel": "email", "address": "ana@example.com"}]}
    )
    for number, amount in (("F-1", "600.00"), ("F-2", "300.00")):
        body = {"customer_id": customer["id"], "number": number, "currency": "ARS", "amount": amount}
        body |= {"issue_date": (TODAY - timedelta(40)).isoformat(), "due_date": (TODAY - timedelta(10)).isoformat()}
        await _post(api, "/v1/invoices", erp, body)
    await deliver(stack)

    rule = {"count": 3, "first_due_date": FIRST_DUE.isoformat(), "every": "month"}
    plan = await _post(
        api, "/v1/payment-plans", admin, {"customer_id": customer["id"], "currency": "ARS", "rule": rule}
    )
    plan = await _post(api, f"/v1/payment-plans/{plan['id']}/accept", admin, {}, expect=200)
    assert plan["status"] == "accepted"
    await deliver(stack)
    numbers = [i["invoice_number"] for i in plan["installments"]]
    projected = await _projected(stack, tenant.id)
    assert {n: projected[n] for n in ("F-1", "F-2")} == {n: ("invoice", "in_plan", True) for n in ("F-1", "F-2")}
    assert [projected[n] for n in numbers] == [("installment", "normal", True)] * 3

    messaging = Messaging(stack, tenant.id)
    run = await real_run(api, admin, TODAY)
    assert run["status"] == "completed", run
    (message,) = await messaging.take_and_accept()
    listed = {line.number: line.triggered for line in message.invoices}
    assert listed == {numbers[0]: True, numbers[1]: False, numbers[2]: False}  # the grouped invoices are not owed
    assert [t.amount for t in message.open_totals] == [Decimal("900.00")]  # the debt once, as its installments
    assert {c["step_key"] for c in run["counts"]["by_step"]} == {"cuota-pre-3"}

    payment = {"customer_id": customer["id"], "currency": "ARS", "amount": "900.00"}
    await _post(api, "/v1/payments", erp, payment | {"payment_date": TODAY.isoformat()})
    await deliver(stack)
    done = (await api.get(f"/v1/payment-plans/{plan['id']}", headers=admin)).json()
    assert done["status"] == "completed" and [i["status"] for i in done["installments"]] == ["paid"] * 3
    projected = await _projected(stack, tenant.id)
    assert {projected[n][1] for n in ("F-1", "F-2", *numbers)} == {"paid"}
