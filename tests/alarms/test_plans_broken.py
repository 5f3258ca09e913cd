"""Issue 19: a broken payment plan (seed 004, "Renegociar la deuda a tres plazos": the renegotiation failed and its
invoices are back to normal) is an alarm, daily, to the plan's collector (else the customer's), else to the
managers. Receivables' ``PaymentPlanChanged`` through alarms' inbox -> run -> the exact digests, once per day; on by
default, like broken promises."""

import random
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.digests import rules, selection_repository
from alarms_service.digests.rules import Directory
from alarms_service.models import Customer, PaymentPlan
from alarms_service.tenant_settings.rules import Alarm, AlarmSchedule
from shared.contracts.receivables import PaymentPlanChanged, PlanInstallment, PlanStatus
from tests.alarms.support import Portfolio, alarms_tenant, collector, feed, run, sent_communications

AS_OF = date(2026, 11, 23)  # a Monday


def plan(
    customer_id: uuid.UUID,
    status: PlanStatus,
    revision: int,
    *,
    plan_id: uuid.UUID,
    collector_id: str | None = None,
    broken_on: date | None = None,
    paid: str = "0",
) -> PaymentPlanChanged:
    """Three installments of 1.000 (one paid when ``paid`` is 1000)."""
    installments = [
        PlanInstallment(
            number=n,
            due_date=date(2026, 9 + n, 10),
            amount=Decimal("1000.00"),
            paid_amount=Decimal("1000.00") if n == 1 and paid != "0" else Decimal(0),
            status="paid" if n == 1 and paid != "0" else "pending",
        )
        for n in (1, 2, 3)
    ]
    return PaymentPlanChanged(
        plan_id=plan_id,
        revision=revision,
        customer_id=customer_id,
        collector_id=uuid.UUID(collector_id) if collector_id else None,
        currency="ARS",
        status=status,
        source="collector",
        installments=installments,
        principal=Decimal("3000.00"),
        total=Decimal("3000.00"),
        paid_amount=Decimal(paid),
        grace_days=5,
        broken_on=broken_on,
        reason="cuota 2 impaga" if status == PlanStatus.BROKEN else None,
    )


async def test_a_broken_plan_goes_to_its_collector_else_to_the_managers_once_a_day(api, stack):
    tenant = await alarms_tenant(api, stack)
    carla, _ = await collector(api, stack, tenant)
    bruno, _ = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    norte = await p.customer("Ferretería Norte", bruno["id"])
    sur = await p.customer("Bazar Sur", None)
    centro = await p.customer("Casa Centro", carla["id"])
    kept = await p.customer("Al Día", carla["id"])
    n, s, c, k = (uuid.uuid4() for _ in range(4))
    await feed(
        stack,
        tenant.id,
        [
            plan(norte, PlanStatus.ACCEPTED, 1, plan_id=n, collector_id=carla["id"]),
            # the plan's collector (Carla), not the customer's (Bruno)
            plan(norte, PlanStatus.BROKEN, 3, plan_id=n, collector_id=carla["id"], broken_on=AS_OF, paid="1000"),
            plan(sur, PlanStatus.BROKEN, 2, plan_id=s, broken_on=date(2026, 11, 20)),  # nobody: the managers
            plan(centro, PlanStatus.BROKEN, 2, plan_id=c, broken_on=date(2026, 10, 1)),  # too old
            plan(kept, PlanStatus.ACCEPTED, 2, plan_id=k, collector_id=carla["id"], paid="1000"),
        ],
    )
    # an older revision arriving late changes nothing
    await feed(stack, tenant.id, [plan(norte, PlanStatus.ACCEPTED, 2, plan_id=n, collector_id=carla["id"])])

    first = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["plans_broken"])
    assert first["counts"] == {"digests": 2, "rows": 2, "already_sent": 0}
    assert first["unrouted"] == []
    by_recipient = {(d["audience"], d["recipient"]["id"]): d["lines"] for d in first["digests"]}
    assert by_recipient == {
        ("collector", carla["id"]): [
            "Ferretería Norte: plan incumplido el 23 nov 2026, 2 cuotas de 3 sin pagar (cuota 2 impaga); "
            "cobrado $ 1.000,00, saldo $ 2.000,00"
        ],
        ("manager", str(tenant.admin_id)): [  # no manager: the admins
            "Bazar Sur: plan incumplido el 20 nov 2026, 3 cuotas de 3 sin pagar (cuota 2 impaga); "
            "cobrado $ 0,00, saldo $ 3.000,00"
        ],
    }
    sent = await sent_communications(stack)
    to_carla = next(m for m in sent if m.to == carla["email"])
    assert to_carla.data["title"] == "Planes de pago incumplidos"
    assert to_carla.data["summary"] == (
        "1 cliente con un plan de pagos incumplido, saldo $ 2.000,00. Sus facturas volvieron a la gestión normal."
    )

    again = await run(api, tenant.admin, as_of=AS_OF.isoformat(), alarms=["plans_broken"])
    assert again["counts"] == {"digests": 0, "rows": 0, "already_sent": 2}

    # a new plan accepted for Norte (a later revision of another plan does not hide this one; this plan accepted
    # again does)
    await feed(stack, tenant.id, [plan(norte, PlanStatus.ACCEPTED, 4, plan_id=n, collector_id=carla["id"])])
    next_day = await run(api, tenant.admin, as_of="2026-11-24", alarms=["plans_broken"])
    assert [(d["audience"], d["row_count"]) for d in next_day["digests"]] == [("manager", 1)]


async def test_the_alarm_is_on_by_default_and_set_like_broken_promises(api, stack):
    tenant = await alarms_tenant(api, stack)
    settings = (await api.get("/v1/alarm-settings", headers=tenant.admin)).json()
    assert settings["plans_broken"]["enabled"] is True and settings["plans_broken"]["lookback_days"] == 30
    changed = await api.patch("/v1/alarm-settings", json={"plans_broken": {"lookback_days": 7}}, headers=tenant.admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["plans_broken"]["lookback_days"] == 7


def test_a_plan_is_pending_while_broken_within_the_look_back():
    assert rules.plan_broken_pending("broken", date(2026, 11, 20), AS_OF, 30)
    assert rules.plan_broken_pending("broken", date(2026, 10, 24), AS_OF, 30)
    assert not rules.plan_broken_pending("broken", date(2026, 10, 23), AS_OF, 30)
    assert not rules.plan_broken_pending("broken", date(2026, 11, 24), AS_OF, 30)  # not yet
    assert not rules.plan_broken_pending("accepted", date(2026, 11, 20), AS_OF, 30)
    assert not rules.plan_broken_pending("broken", None, AS_OF, 30)


@pytest.mark.parametrize("seed", [1, 2])
async def test_the_selection_agrees_with_the_rule_on_random_plans(api, stack, seed):
    """``plan_selection.PLANS_BROKEN`` applies ``rules.plan_broken_pending`` and routes as the alarm says: the
    plan's collector, else the customer's, else the managers (none here: one unrouted group)."""
    rnd, tenant_id = random.Random(seed), uuid.uuid4()
    collectors = [uuid.uuid4() for _ in range(3)]
    customers = [
        {
            "tenant_id": tenant_id,
            "id": uuid.uuid4(),
            "revision": 1,
            "name": f"Cliente {n}",
            "collector_id": rnd.choice([*collectors, None]),
            "deleted": rnd.random() < 0.1,
        }
        for n in range(15)
    ]
    plans = []
    for _ in range(60):
        status = rnd.choice(["broken", "broken", "accepted", "completed", "cancelled"])
        plans.append(
            {
                "tenant_id": tenant_id,
                "plan_id": uuid.uuid4(),
                "revision": 1,
                "customer_id": rnd.choice(customers)["id"],
                "collector_id": rnd.choice([*collectors, None, None]),
                "status": status,
                "currency": rnd.choice(["ARS", "USD"]),
                "principal": Decimal(rnd.choice([300, 1200])),
                "paid_amount": Decimal(rnd.choice([0, 100, 1500])),
                "installments": 3,
                "unpaid_installments": rnd.randint(1, 3),
                "broken_on": AS_OF - timedelta(days=rnd.randint(-3, 40)) if status == "broken" else None,
                "reason": None,
            }
        )
    schedule = AlarmSchedule(Alarm.PLANS_BROKEN, lookback_days=20)
    by_customer = {c["id"]: c for c in customers}
    want: dict[tuple, tuple[list[str], dict[str, Decimal]]] = defaultdict(lambda: ([], defaultdict(Decimal)))
    for plan_row in sorted(plans, key=lambda p: (p["broken_on"] or AS_OF, by_customer[p["customer_id"]]["name"])):
        customer_row = by_customer[plan_row["customer_id"]]
        pending = rules.plan_broken_pending(plan_row["status"], plan_row["broken_on"], AS_OF, schedule.lookback_days)
        if customer_row["deleted"] or not pending:
            continue
        key = plan_row["collector_id"] or customer_row["collector_id"]
        group = ("collector", key, None) if key else ("manager", None, "no_manager")
        want[group][0].append(str(plan_row["plan_id"]))
        unpaid = max(plan_row["principal"] - plan_row["paid_amount"], Decimal(0))
        want[group][1][plan_row["currency"]] += unpaid
    async with stack.engine.begin() as conn:
        await conn.execute(insert(Customer.__table__), customers)
        await conn.execute(insert(PaymentPlan.__table__), plans)
        session = AsyncSession(bind=conn)
        params = selection_repository.parameters(
            Alarm.PLANS_BROKEN, schedule, tenant_id=tenant_id, as_of=AS_OF, timezone="UTC", directory=Directory()
        )
        groups = await selection_repository.select_groups(session, Alarm.PLANS_BROKEN, params, full=True)
    got = {
        (g.audience.value, g.key, g.problem): (
            sorted(r["plan_id"] for r in g.rows),
            {k: Decimal(v) for k, v in g.totals.items() if Decimal(v) != 0},
        )
        for g in groups
    }
    assert got == {
        group: (sorted(ids), {k: v for k, v in totals.items() if v != 0}) for group, (ids, totals) in want.items()
    }
    assert sum(len(ids) for ids, _ in got.values()) > 5
    for g in groups:  # each group's rows in ``rules.sort_key`` order
        keys = [rules.sort_key(Alarm.PLANS_BROKEN, g.audience, r) for r in g.rows]
        assert keys == sorted(keys)
