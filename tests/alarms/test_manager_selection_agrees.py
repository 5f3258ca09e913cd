"""Issue 18's statements (``digests/manager_selection.py``) and the pure rules (``rules.overdue``,
``rules.above_spread``, ``rules.threshold_crossed``) make the same decisions on random portfolios: the customers
without collector, the collectors above the spread, the customers over a threshold, with their amounts."""

import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.digests import rules, selection_repository
from alarms_service.digests.rules import Directory
from alarms_service.models import Customer, Invoice, User
from alarms_service.tenant_settings.rules import Alarm, AlarmSchedule

AS_OF = date(2026, 11, 23)
STATUSES = ["normal", "promise_to_pay", "payment_reported", "dispute", "paid", "void"]


def portfolio(seed: int, tenant_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    rnd = random.Random(seed)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    users = [
        {
            "tenant_id": tenant_id,
            "user_id": uuid.uuid4(),
            "email": f"u{n}@x.example",
            "full_name": f"Persona {n}",
            "roles": [role],
            "active": rnd.random() < 0.85,
            "announced_at": now,
        }
        for n, role in enumerate(["manager", "admin", *["collector"] * 5])
    ]
    collectors = [u["user_id"] for u in users if u["roles"] == ["collector"]]
    customers = [
        {
            "tenant_id": tenant_id,
            "id": uuid.uuid4(),
            "revision": 1,
            "name": f"Cliente {n}",
            "external_id": None,
            "collector_id": rnd.choice([*collectors, *collectors, None, uuid.uuid4()]),
            "deleted": rnd.random() < 0.05,
        }
        for n in range(60)
    ]
    invoices = []
    for n in range(240):
        amount = Decimal(rnd.choice([100, 250, 1000, 3000, 5000]))
        status = rnd.choice(STATUSES)
        invoices.append(
            {
                "tenant_id": tenant_id,
                "id": uuid.uuid4(),
                "customer_id": rnd.choice(customers)["id"],
                "revision": 1,
                "number": f"F-{n}",
                "currency": rnd.choice(["ARS", "ARS", "USD"]),
                "amount": amount,
                "open_amount": Decimal(0) if status in ("paid", "void") else amount,
                "due_date": AS_OF + timedelta(days=rnd.randint(-90, 10)),
                "status": status,
                "status_since": now,
            }
        )
    return {"users": users, "customers": customers, "invoices": invoices}


def overdue_by_customer(data: dict[str, list[dict[str, Any]]]) -> dict[uuid.UUID, dict[str, Decimal]]:
    totals: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for i in data["invoices"]:
        if rules.overdue(i["status"], i["open_amount"], i["due_date"], AS_OF):
            totals[i["customer_id"]][i["currency"]] += i["open_amount"]
    return totals


def expected_unassigned(data: dict[str, list[dict[str, Any]]]) -> set[uuid.UUID]:
    overdue = overdue_by_customer(data)
    return {c["id"] for c in data["customers"] if c["collector_id"] is None and not c["deleted"] and c["id"] in overdue}


def expected_workload(data: dict[str, list[dict[str, Any]]], spread: int) -> dict[uuid.UUID, tuple[int, list[str]]]:
    overdue = overdue_by_customer(data)
    live = [c for c in data["customers"] if not c["deleted"] and c["collector_id"] is not None]
    team = {c["collector_id"] for c in live} | {
        u["user_id"] for u in data["users"] if u["active"] and "collector" in u["roles"]
    }
    customers: dict[uuid.UUID, int] = defaultdict(int)
    amounts: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for c in live:
        if c["id"] in overdue:
            customers[c["collector_id"]] += 1
            for currency, amount in overdue[c["id"]].items():
                amounts[c["collector_id"]][currency] += amount
    total_customers = sum(customers.values())
    currency_totals: dict[str, Decimal] = defaultdict(Decimal)
    for per_currency in amounts.values():
        for currency, amount in per_currency.items():
            currency_totals[currency] += amount
    flagged = {}
    for collector in team:
        over = rules.above_spread(Decimal(customers[collector]), Decimal(total_customers), len(team), spread)
        currencies = sorted(
            currency
            for currency, amount in amounts[collector].items()
            if rules.above_spread(amount, currency_totals[currency], len(team), spread)
        )
        if over or currencies:
            flagged[collector] = (customers[collector], currencies)
    return flagged


def expected_threshold(data: dict[str, list[dict[str, Any]]], limits: dict[str, Decimal]) -> dict[tuple, Decimal]:
    overdue = overdue_by_customer(data)
    live = {c["id"] for c in data["customers"] if not c["deleted"]}
    return {
        (customer, currency): amount
        for customer, per_currency in overdue.items()
        if customer in live
        for currency, amount in per_currency.items()
        if rules.threshold_crossed(amount, limits.get(currency), told=False)
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_sql_and_rules_agree_on_random_portfolios(api, stack, seed):
    tenant_id = uuid.uuid4()
    data = portfolio(seed, tenant_id)
    spread = random.Random(seed).choice([10, 30, 50])
    limits = {"ARS": Decimal(random.Random(seed).choice([3000, 6000])), "USD": Decimal(2000)}
    async with stack.engine.begin() as conn:
        for model, rows in ((User, data["users"]), (Customer, data["customers"]), (Invoice, data["invoices"])):
            await conn.execute(insert(model.__table__), rows)
        session = AsyncSession(bind=conn)

        async def groups(alarm: Alarm, schedule: AlarmSchedule) -> list[selection_repository.Group]:
            params = selection_repository.parameters(
                alarm, schedule, tenant_id=tenant_id, as_of=AS_OF, timezone="UTC", directory=Directory()
            )
            return await selection_repository.select_groups(session, alarm, params, full=True)

        managers = {u["user_id"] for u in data["users"] if u["active"] and "manager" in u["roles"]}
        admins = {u["user_id"] for u in data["users"] if u["active"] and "admin" in u["roles"]}
        recipients = managers or admins

        unassigned = await groups(Alarm.UNASSIGNED_CUSTOMERS, AlarmSchedule(Alarm.UNASSIGNED_CUSTOMERS))
        want = expected_unassigned(data)
        if want:
            assert {g.key for g in unassigned} == (recipients or {None})
        for g in unassigned:
            assert {uuid.UUID(r["customer_id"]) for r in g.rows} == want

        workload = await groups(Alarm.WORKLOAD, AlarmSchedule(Alarm.WORKLOAD, spread_percent=spread))
        flagged = expected_workload(data, spread)
        for g in workload:
            got = {uuid.UUID(r["collector_id"]): (r["overdue_customers"], r["over_currencies"]) for r in g.rows}
            assert got == flagged
        assert bool(workload) == bool(flagged)

        threshold = await groups(Alarm.OVERDUE_THRESHOLD, AlarmSchedule(Alarm.OVERDUE_THRESHOLD, thresholds=limits))
        crossed = expected_threshold(data, limits)
        for g in threshold:
            if g.audience is rules.Audience.MANAGER:
                got = {(uuid.UUID(r["customer_id"]), r["currency"]): Decimal(r["overdue_amount"]) for r in g.rows}
                assert got == crossed
        assert sum(g.row_count for g in threshold if g.audience is rules.Audience.COLLECTOR) == len(crossed)
        assert want and flagged and crossed  # the random portfolio exercises every alarm
        await conn.rollback()
