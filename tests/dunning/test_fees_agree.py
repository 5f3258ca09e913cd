"""The run's assessment of late charges (one SQL statement, ``fees/statements.py``) and the pure rules
(``fees/rules.assess``) must charge the same: random portfolios (strategies with fees of their own, none, or the
tenant's defaults; every status and kind; several currencies; charges already recorded, some waived, some clipped),
several days. Then a real assessment records exactly those and announces them."""

import random
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.fees import repository as fee_repository
from dunning_service.fees import service as fees
from dunning_service.fees import statements
from dunning_service.fees.rules import ExistingCharge, InvoiceFacts, assess, charge_id, charge_key
from dunning_service.projection.views import customer_view, invoice_view
from dunning_service.runs import selection
from dunning_service.runs.context import load_strategies
from dunning_service.strategies.installments import invoice_choice, plan_strategy
from dunning_service.strategies.rules import select_strategy
from shared.contracts.common import InvoiceKind, InvoiceStatus
from shared.contracts.dunning import ChargesAssessed
from shared.contracts.receivables import CustomerChanged, InvoiceChanged
from tests.dunning.support import STANDARD_STEPS, create_strategy, dunning_tenant, feed

DAYS = [date(2026, 3, 2), date(2026, 3, 17), date(2026, 5, 1), date(2026, 9, 30)]
STANDARD_FEES = [
    {"key": "fee", "kind": "fixed", "at_step": "od-15", "amounts": {"ARS": "500", "USD": "5", "CLP": "3000"}},
    {"key": "int", "kind": "interest", "annual_rate": "60", "grace_days": 5, "minimum": {"ARS": "10"},
     "cap": {"percent": "10"}},
]  # fmt: skip
RISK_FEES = [
    {"key": "pct", "kind": "percentage", "percent": "3.5", "at_step": "od-1", "cap": {"amounts": {"ARS": "200"}}},
    {"key": "int", "kind": "interest", "annual_rate": "120"},
]
PLAN_FEES = [
    {"key": "late", "kind": "fixed", "at_step": "inst-od-3", "amounts": {"ARS": "90", "USD": "1", "CLP": "900"}}
]
PLANS = [uuid.uuid4() for _ in range(3)]
DEFAULT_FEES = [
    {"key": "pct", "kind": "percentage", "percent": "1.5", "grace_days": 10, "minimum": {"ARS": "50", "USD": "1"}},
    {"key": "int", "kind": "interest", "annual_rate": "30", "cap": {"amounts": {"USD": "12.5"}, "percent": "4"}},
]


def _portfolio(rng: random.Random, n: int) -> tuple[list[CustomerChanged], list[InvoiceChanged]]:
    customers = [
        CustomerChanged(
            customer_id=uuid.uuid4(),
            revision=1,
            name=f"Cliente {i}",
            vip=rng.random() < 0.1,
            segment=rng.choice([None, "wholesale", "retail"]),
            risk_level=rng.choice([None, "low", "high"]),
            deleted=rng.random() < 0.05,
        )
        for i in range(n)
    ]
    invoices = []
    for i in range(n * 4):
        currency = rng.choice(["ARS", "ARS", "USD", "CLP"])
        open_amount = Decimal(rng.choice(["50", "99.99", "1500", "7000.10", "123456.78", "0"]))
        if currency == "CLP":
            open_amount = open_amount.quantize(Decimal(1))
        due = DAYS[0] + timedelta(days=rng.randint(-200, 30))
        kind = rng.choices(list(InvoiceKind), weights=[10] + [1] * (len(InvoiceKind) - 1))[0]
        # issue 19: most installments name their plan, and follow the payment plans' strategy and its fee rules
        plan_id = rng.choice(PLANS) if kind == InvoiceKind.INSTALLMENT and rng.random() < 0.8 else None
        invoices.append(
            InvoiceChanged(
                invoice_id=uuid.uuid4(),
                revision=1,
                customer_id=rng.choice(customers).customer_id,
                number=f"F-{i:04d}",
                kind=kind,
                plan_id=plan_id,
                currency=currency,
                amount=max(open_amount, Decimal(rng.choice(["100", "9000"]))),
                open_amount=open_amount,
                issue_date=due - timedelta(days=30),
                due_date=due,
                status=rng.choices(list(InvoiceStatus), weights=[12] + [1] * (len(InvoiceStatus) - 1))[0],
            )
        )
    return customers, invoices


async def _record_some(stack, rng: random.Random, tenant_id: uuid.UUID, invoices: list[InvoiceChanged]) -> None:
    """Charges already recorded: periods a run will meet again (some waived), others no rule makes now."""
    rows = []
    for inv in rng.sample(invoices, len(invoices) // 5):
        rule, period = rng.choice([("int", "2026-01"), ("int", "2025-12"), ("fee", "od-15"), ("pct", "overdue")])
        key = charge_key(inv.invoice_id, rule, period)
        status = rng.choice(["open", "open", "waived", "invoiced"])
        rows.append((key, inv, rule, period, status, Decimal(rng.choice(["1", "25.50", "400"]))))
    async with stack.engine.begin() as conn:
        for key, inv, rule, period, status, amount in rows:
            await conn.execute(
                text(
                    "INSERT INTO dunning.charges (tenant_id, id, key, invoice_id, customer_id, invoice_number, "
                    "rule_key, kind, period, description, currency, amount, charged_on, status) VALUES (:t, :id, "
                    ":key, :inv, :cust, :num, :rule, 'interest', :period, 'old', :cur, :amount, :day, :status)"
                ),
                {
                    "t": tenant_id, "id": charge_id(tenant_id, key), "key": key, "inv": inv.invoice_id,
                    "cust": inv.customer_id, "num": inv.number, "rule": rule, "period": period,
                    "cur": inv.currency, "amount": amount, "day": DAYS[0], "status": status,
                },
            )  # fmt: skip
        async with AsyncSession(bind=conn) as session:  # as the assessment that recorded them keeps them
            await fee_repository.keep_open_charges(session, [(tenant_id, row[1].customer_id) for row in rows])


async def _pure(stack, tenant_id: uuid.UUID, strategies, day: date) -> set[tuple]:
    async with stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        setup = await fees.load_setup(session, tenant_id)
        customers = (await conn.execute(text("SELECT * FROM dunning.customers"))).mappings().all()
        invoices = (await conn.execute(text("SELECT * FROM dunning.invoices"))).mappings().all()
        recorded = (await conn.execute(text("SELECT * FROM dunning.charges"))).mappings().all()
    existing = defaultdict(list)
    for c in recorded:
        existing[c["invoice_id"]].append(ExistingCharge(c["key"], c["rule_key"], c["amount"], c["status"] == "waived"))
    out = set()
    for row in customers:
        customer = customer_view(row)
        if customer.deleted:
            continue
        choice = select_strategy(strategies, customer)
        for i in invoices:
            inv = invoice_view(i, None, {})
            if inv.customer_id != customer.id or inv.status != InvoiceStatus.NORMAL:
                continue
            strategy = invoice_choice(inv, choice, plan_strategy(strategies)).strategy  # a plan's installment
            rules = setup.rules_for(strategy.id if strategy else None)
            if inv.kind == InvoiceKind.CREDIT_NOTE or inv.missing_upstream or inv.open_amount <= 0:
                continue
            facts = InvoiceFacts(inv.id, inv.customer_id, inv.currency, inv.amount, inv.open_amount, inv.due_date)
            for c in assess(tenant_id, facts, rules, setup.legal_max_annual_rate, day, existing[inv.id]):
                out.add((c.charge_id, c.key, c.invoice_id, c.customer_id, c.kind.value, c.rule_key, c.period,
                         c.strategy_id, c.description, c.currency, c.amount))  # fmt: skip
    return out


async def _sql(stack, tenant_id: uuid.UUID, strategies, day: date) -> set[tuple]:
    compiled = selection.compile_strategies(strategies)
    async with stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        setup = await fees.load_setup(session, tenant_id)
        params = statements.assess_params(setup, compiled, tenant_id, day, None)
        rows = (await session.execute(text(statements.rows_statement(compiled)), params)).all()
    return {tuple(row) for row in rows}


BIG_DEBT_FEES = [{"key": "big", "kind": "fixed", "at_step": "od-15", "amounts": {"ARS": "700", "USD": "7"}}]


async def fee_tenant(api, stack, rng: random.Random, *, by_amount: bool = False, customers: int = 40):
    """A tenant with fee rules everywhere (its defaults, strategies' own, the payment plans'), a legal maximum, a
    random portfolio and charges already recorded; ``by_amount``: a strategy chosen by the customer's overdue amount
    too. Returns the tenant, its customers and invoices as fed."""
    tenant = await dunning_tenant(api, stack)
    headers = tenant.admin
    settings = {"legal_max_annual_rate": rng.choice(["150", "120"]), "fee_rules": DEFAULT_FEES}
    assert (await api.patch("/v1/dunning-settings", json=settings, headers=headers)).status_code == 200
    await create_strategy(api, headers, fees=STANDARD_FEES)
    await create_strategy(api, headers, name="VIP", priority=1, is_default=False, manual_only=True, steps=[],
                          match={"vip": True}, fees=[])  # fmt: skip
    await create_strategy(api, headers, name="High risk", priority=10, is_default=False,
                          match={"risk_levels": ["high"]}, steps=STANDARD_STEPS[2:], fees=RISK_FEES)  # fmt: skip
    await create_strategy(
        api,
        headers,
        name="Wholesale",
        priority=20,
        is_default=False,
        match={"segments": ["wholesale"]},
        steps=STANDARD_STEPS,
    )  # fmt: skip (tenant's defaults)
    await create_strategy(api, headers, name="Installments", priority=0, is_default=False, for_payment_plans=True,
                          steps=[{"key": "inst-od-3", "kind": "overdue", "days": 3, "tone": 2, "channels": ["email"]}],
                          fees=PLAN_FEES)  # fmt: skip
    if by_amount:
        await create_strategy(api, headers, name="Big debt", priority=5, is_default=False, fees=BIG_DEBT_FEES,
                              match={"amount_overdue": {"currency": "ARS", "min": "20000"}})  # fmt: skip
    fed, invoices = _portfolio(rng, customers)
    await feed(stack, tenant.id, fed)
    await feed(stack, tenant.id, invoices)
    await _record_some(stack, rng, tenant.id, invoices)
    return tenant, fed, invoices


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_sql_assessment_and_pure_rules_agree(api, stack, seed):
    rng = random.Random(seed)
    tenant, _, _ = await fee_tenant(api, stack, rng)
    async with stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        strategies = await load_strategies(session, tenant.id)
    compared: set[tuple] = set()
    for day in DAYS:
        pure = await _pure(stack, tenant.id, strategies, day)
        sql = await _sql(stack, tenant.id, strategies, day)
        assert sorted(sql - pure, key=str) == sorted(pure - sql, key=str), day
        compared |= pure
    assert len(compared) > 50
    assert {row[5] for row in pure} == {"fee", "int", "pct", "late"}  # every rule charged something
    # the clipping was compared too: a fixed fee below its amount (only the legal maximum cuts it: no cap of its
    # own), and the high-risk percentage held to its cap (ARS 200)
    assert any(row[5] == "fee" and row[10] not in {500, 5, 3000} for row in compared)
    assert any(row[5] == "pct" and row[9] == "ARS" and row[10] == Decimal(200) for row in compared)

    # the real statement records exactly these, announced in messages that validate
    compiled = selection.compile_strategies(strategies)
    run_id = uuid.uuid4()
    async with stack.engine.begin() as conn, AsyncSession(bind=conn) as session:
        totals = await fees.assess_day(session, tenant.id, DAYS[-1], compiled, run_id, dry=False)
    assert sum(t.n for t in totals) == len(pure)
    async with stack.engine.connect() as conn:
        recorded = (await conn.execute(text("SELECT id, key, amount FROM dunning.charges WHERE run_id = :r"),
                                        {"r": run_id})).all()  # fmt: skip
        (payload,) = (
            await conn.execute(
                text("SELECT payload FROM dunning.outbox WHERE message_type = :m"),
                {"m": ChargesAssessed.message_type},
            )
        ).scalars()
    assert {(r.id, r.key, r.amount) for r in recorded} == {(p[0], p[1], p[10]) for p in pure}
    assert {(c.charge_id, c.key, c.amount) for c in ChargesAssessed.model_validate(payload).charges} == {
        (r.id, r.key, r.amount) for r in recorded
    }
    assert await _sql(stack, tenant.id, strategies, DAYS[-1]) == set()  # the same day again: nothing new
