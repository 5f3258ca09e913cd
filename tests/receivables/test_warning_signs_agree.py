"""The warning signs' SQL agrees with ``signs/rules.py`` on random histories, twice over: the features the SQL
gathers equal the plain per-row definitions computed here, and what the refresh stored (signs, evidence, computed
risk and reasons) is what the rules decide from those features. Seeded, so a failure repeats."""

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from services.receivables.signs import repository
from services.receivables.signs.rules import (
    GROWTH_STEP_DAYS,
    HISTORY_DAYS,
    WINDOW_DAYS,
    Features,
    Thresholds,
    risk_level,
    signs_of,
)
from shared.contracts.receivables import WarningSignKind

TODAY = date(2026, 6, 30)
AMOUNTS = [Decimal(a) for a in ("100.00", "250.50", "999.99", "1000.00", "4000.00", "12500.00")]


@dataclass
class Inv:
    id: uuid.UUID
    customer_id: uuid.UUID
    number: str
    kind: str
    currency: str
    amount: Decimal
    issue_date: date
    due_date: date
    closed_on: date | None = None


@dataclass
class Alloc:
    id: int
    invoice_id: uuid.UUID
    amount: Decimal
    payment_date: date
    reversed: bool


@dataclass
class Credit:
    invoice_id: uuid.UUID
    amount: Decimal
    applied_on: date
    reversed: bool


@dataclass
class Portfolio:
    customers: dict[uuid.UUID, list[dict[str, Any]]] = field(default_factory=dict)  # id -> contacts
    invoices: list[Inv] = field(default_factory=list)
    allocations: list[Alloc] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    promises: list[dict[str, Any]] = field(default_factory=list)


def _portfolio(rng: random.Random, n: int) -> Portfolio:
    p = Portfolio()
    next_alloc = 10**9
    for c in range(n):
        customer_id = uuid.uuid4()
        p.customers[customer_id] = [
            {"channel": rng.choice(["email", "sms"]), "address": f"c{c}-{k}@x.example", "invalid": rng.random() < 0.3}
            for k in range(rng.randint(0, 3))
        ]
        for k in range(rng.choice([0, 2, 4, 6, 9, 12])):
            issue = TODAY - timedelta(days=rng.randint(-5, 420))
            inv = Inv(
                uuid.uuid4(),
                customer_id,
                f"F-{c}-{k}",
                rng.choices(["invoice", "credit_note"], [9, 1])[0],
                rng.choices(["ARS", "USD"], [4, 1])[0],
                rng.choice(AMOUNTS),
                issue,
                issue + timedelta(days=rng.choice([0, 10, 30, 45])),
            )
            paid = Decimal(0)
            for _ in range(rng.choice([0, 1, 1, 2])):
                day = inv.due_date + timedelta(days=rng.randint(-10, 90))
                if day > TODAY:
                    continue
                amount = inv.amount if rng.random() < 0.6 else (inv.amount / 3).quantize(Decimal("0.01"))
                reversed_ = rng.random() < 0.1
                next_alloc += rng.randint(1, 3)
                p.allocations.append(Alloc(next_alloc, inv.id, amount, day, reversed_))
                if not reversed_:
                    paid += amount
                    if paid >= inv.amount:
                        inv.closed_on = day
                        break
            if rng.random() < 0.1:
                day = inv.due_date + timedelta(days=rng.randint(-20, 60))
                p.credits.append(Credit(inv.id, Decimal("50.00"), day, rng.random() < 0.2))
            if inv.closed_on is None and rng.random() < 0.05:
                inv.closed_on = TODAY - timedelta(days=rng.randint(0, 100))  # written off
            p.invoices.append(inv)
            for _ in range(rng.choice([0, 0, 1, 2])):
                p.promises.append(
                    {
                        "id": uuid.uuid4(),
                        "customer_id": customer_id,
                        "invoice_id": inv.id,
                        "status": rng.choice(["broken", "broken", "kept", "cancelled"]),
                        "resolved_on": TODAY - timedelta(days=rng.randint(-3, 150)),
                    }
                )
    return p


async def _store(conn: Any, tenant_id: uuid.UUID, p: Portfolio) -> None:
    await conn.execute(
        text(
            "INSERT INTO receivables.customers (id, tenant_id, name, contacts) "
            "VALUES (:id, :tenant, 'Cliente', CAST(:contacts AS jsonb))"
        ),
        [{"id": c, "tenant": tenant_id, "contacts": _json(contacts)} for c, contacts in p.customers.items()],
    )
    await conn.execute(
        text(
            "INSERT INTO receivables.invoices (id, tenant_id, customer_id, number, kind, currency, amount, "
            "open_amount, issue_date, due_date, closed_on) VALUES (:id, :tenant, :customer_id, :number, :kind, "
            ":currency, :amount, 0, :issue_date, :due_date, :closed_on)"
        ),
        [{**vars(i), "tenant": tenant_id} for i in p.invoices],
    )
    payment_id = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO receivables.payments (id, tenant_id, customer_id, currency, amount, unapplied_amount, "
            "payment_date) VALUES (:id, :tenant, :customer, 'ARS', 0, 0, '2026-01-01')"
        ),
        {"id": payment_id, "tenant": tenant_id, "customer": next(iter(p.customers))},
    )
    if p.allocations:
        await conn.execute(
            text(
                "INSERT INTO receivables.payment_allocations (id, tenant_id, payment_id, invoice_id, amount, "
                "payment_date, reversed_at) VALUES (:id, :tenant, :payment, :invoice_id, :amount, :payment_date, "
                "CASE WHEN :reversed THEN now() END)"
            ),
            [{**vars(a), "tenant": tenant_id, "payment": payment_id} for a in p.allocations],
        )
    if p.credits:
        await conn.execute(
            text(
                "INSERT INTO receivables.credit_applications (tenant_id, credit_id, invoice_id, amount, applied_on, "
                "reversed_at) VALUES (:tenant, :credit, :invoice_id, :amount, :applied_on, "
                "CASE WHEN :reversed THEN now() END)"
            ),
            [{**vars(c), "tenant": tenant_id, "credit": uuid.uuid4()} for c in p.credits],
        )
    if p.promises:
        await conn.execute(
            text(
                "INSERT INTO receivables.promises (id, tenant_id, customer_id, invoice_id, promised_date, currency, "
                "amount, status, resolved_on, created_by) VALUES (:id, :tenant, :customer_id, :invoice_id, "
                "CAST(:resolved_on AS date), 'ARS', 1, CAST(:status AS text), "
                "CASE WHEN CAST(:status AS text) = 'open' THEN NULL ELSE CAST(:resolved_on AS date) END, 'test')"
            ),
            [{**promise, "tenant": tenant_id} for promise in p.promises],
        )


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _expected_features(p: Portfolio, customer_id: uuid.UUID, t: Thresholds) -> Features:
    """The plain definitions of the features (``rules.py``'s docstring), row by row."""
    invoices = {i.id: i for i in p.invoices if i.customer_id == customer_id and i.kind == "invoice"}
    allocations = [a for a in p.allocations if a.invoice_id in invoices and not a.reversed]
    # the days-late trend
    history = sorted(
        (a for a in allocations if TODAY - timedelta(days=HISTORY_DAYS) < a.payment_date <= TODAY),
        key=lambda a: (a.payment_date, a.id),
        reverse=True,
    )
    late = [max((a.payment_date - invoices[a.invoice_id].due_date).days, 0) for a in history]
    recent, earlier = late[: t.recent_payments], late[t.recent_payments :]
    # small before large
    small = []
    for a in sorted(allocations, key=lambda a: (a.payment_date, a.id), reverse=True):
        if not TODAY - timedelta(days=WINDOW_DAYS) < a.payment_date <= TODAY:
            continue
        paid = invoices[a.invoice_id]
        larger = [
            i
            for i in invoices.values()
            if i.due_date < paid.due_date
            and i.due_date < a.payment_date
            and i.issue_date <= a.payment_date
            and i.currency == paid.currency
            and i.amount > paid.amount
            and (i.closed_on is None or i.closed_on > a.payment_date)
        ]
        if larger:
            small.append((paid.number, min(larger, key=lambda i: (-i.amount, i.id)).number))
    # broken promises
    broken = [
        x["resolved_on"]
        for x in p.promises
        if x["customer_id"] == customer_id
        and x["status"] == "broken"
        and TODAY - timedelta(days=WINDOW_DAYS) < x["resolved_on"] <= TODAY
    ]
    bad = [f"{c['channel']}:{c['address']}" for c in p.customers[customer_id] if c["invalid"]]
    # the overdue balance 60 and 30 days ago and today, per currency
    overdue: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for back in (0, GROWTH_STEP_DAYS, 2 * GROWTH_STEP_DAYS):
        day = TODAY - timedelta(days=back)
        for i in invoices.values():
            if not (i.due_date < day and i.issue_date <= day and (i.closed_on is None or i.closed_on > day)):
                continue
            settled = sum((a.amount for a in allocations if a.invoice_id == i.id and a.payment_date <= day), Decimal(0))
            settled += sum(
                (c.amount for c in p.credits if c.invoice_id == i.id and not c.reversed and c.applied_on <= day),
                Decimal(0),
            )
            overdue[i.currency][back] = overdue[i.currency].get(back, Decimal(0)) + i.amount - settled
    currency = min(overdue, key=lambda c: (-overdue[c].get(0, Decimal(0)), c)) if overdue else None
    amounts = overdue.get(currency or "", {})
    return Features(
        recent_count=len(recent),
        recent_days_late=sum(recent),
        earlier_count=len(earlier),
        earlier_days_late=sum(earlier),
        small_before_large=len(small),
        small_paid_number=small[0][0] if small else None,
        large_open_number=small[0][1] if small else None,
        broken_promises=len(broken),
        last_broken_on=max(broken) if broken else None,
        bad_contacts=bad,
        currency=currency,
        overdue_before=amounts.get(2 * GROWTH_STEP_DAYS, Decimal(0)),
        overdue_between=amounts.get(GROWTH_STEP_DAYS, Decimal(0)),
        overdue_now=amounts.get(0, Decimal(0)),
    )


def _thresholds(rng: random.Random) -> Thresholds:
    return Thresholds(
        recent_payments=rng.randint(1, 4),
        days_late_increase=rng.choice([1, 5, 10, 30]),
        small_before_large=rng.randint(1, 2),
        broken_promises=rng.randint(1, 2),
        bad_contacts=rng.randint(1, 2),
        overdue_growth_pct=rng.choice([0, 20, 100]),
        for_high_risk=rng.randint(1, 3),
    )


@pytest.mark.parametrize("seed", range(6))
async def test_the_sql_features_and_decisions_agree_with_the_rules(stack, seed):
    rng = random.Random(seed)
    thresholds = _thresholds(rng)
    portfolio = _portfolio(rng, 60)
    tenant_id = uuid.uuid4()
    async with stack.engine.begin() as conn:
        await _store(conn, tenant_id, portfolio)
    sessionmaker = stack.services["receivables"].state.sessionmaker
    async with sessionmaker() as session, session.begin():
        features = await repository.features(session, tenant_id, TODAY, thresholds)
        counts = await repository.refresh(session, tenant_id, TODAY, thresholds)
    assert counts.customers == len(portfolio.customers)
    stored = defaultdict(dict)
    async with stack.engine.connect() as conn:
        for row in (
            await conn.execute(text("SELECT * FROM receivables.warning_signs WHERE tenant_id = :t"), {"t": tenant_id})
        ).mappings():
            stored[row["customer_id"]][row["sign"]] = row["evidence"]
        risk = {
            row["id"]: (row["computed_risk_level"], row["computed_risk_reasons"])
            for row in (
                await conn.execute(text("SELECT * FROM receivables.customers WHERE tenant_id = :t"), {"t": tenant_id})
            ).mappings()
        }
    fired = 0
    for customer_id in portfolio.customers:
        assert features[customer_id] == _expected_features(portfolio, customer_id, thresholds), customer_id
        signs = signs_of(features[customer_id], thresholds)
        fired += len(signs)
        assert stored.get(customer_id, {}) == {s.sign.value: s.evidence for s in signs}
        level, reasons = risk_level(signs, thresholds)
        assert risk[customer_id] == (level.value, reasons)
    assert {k for v in stored.values() for k in v} == {k.value for k in WarningSignKind}  # every rule exercised
    assert fired == counts.signs > 0
    async with sessionmaker() as session, session.begin():
        again = await repository.refresh(session, tenant_id, TODAY, thresholds)
    assert (again.changed, again.risk_changed, again.signs) == (0, 0, counts.signs)
