"""The DSO and CEI statements agree with their definitions in ``kpis/rules.py`` on random portfolios.

The statements are shaped for speed at a million invoices (months found by binary search, invoices summed in
groups before the formula is applied), so each is held here to the plain per-invoice definition: sales on the
edges of months (month ends, February, leap years), every status and kind, payments before, inside and after
the period, reversed ones, invoices closed at any time. Seeded, so a failure repeats.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.kpis import repository
from services.receivables.kpis.repository import KpiFilter
from services.receivables.kpis.rules import (
    collection_effectiveness,
    countback_dso,
    countback_months,
    months_before,
    receivable_at,
)
from shared.contracts.common import OPEN_STATUSES, InvoiceKind, InvoiceStatus

ZERO = Decimal(0)
OPEN = {s.value for s in OPEN_STATUSES}
# Days where calendar months are awkward: month ends of long and short months, February of a leap year.
AS_OF_DAYS = [date(2026, 3, 31), date(2026, 2, 28), date(2028, 2, 29), date(2026, 5, 31), date(2026, 7, 30)]


@dataclass
class Invoice:
    id: uuid.UUID
    currency: str
    kind: str
    status: str
    amount: Decimal
    open_amount: Decimal
    issue_date: date
    due_date: date
    closed_on: date | None


@dataclass
class Allocation:
    invoice_id: uuid.UUID
    amount: Decimal
    payment_date: date
    reversed: bool


def test_months_before_cuts_the_day_to_the_month_as_postgresql_does():
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2028, 3, 31), 1) == date(2028, 2, 29)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)
    assert countback_months(date(2026, 3, 31), 2) == [
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
    ]


def _day_near_a_month_end(rng: random.Random, as_of: date) -> date:
    """A day up to 15 months before ``as_of``, half the time within a day of the end of a month."""
    day = as_of - timedelta(days=rng.randrange(0, 460))
    if rng.random() < 0.5:
        first_of_next = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        day = first_of_next - timedelta(days=rng.choice((1, 2))) if rng.random() < 0.7 else first_of_next
    return min(day, as_of + timedelta(days=rng.choice((0, 0, 3))))


def _portfolio(rng: random.Random, as_of: date) -> tuple[list[Invoice], list[Allocation]]:
    invoices, allocations = [], []
    for _ in range(rng.randrange(30, 90)):
        issued = _day_near_a_month_end(rng, as_of)
        amount = Decimal(rng.randrange(1, 500_000)) / 100
        status = rng.choice([s.value for s in InvoiceStatus])
        is_open = status in OPEN
        invoice = Invoice(
            id=uuid.uuid4(),
            currency=rng.choice(("ARS", "ARS", "USD")),
            kind=rng.choice([k.value for k in InvoiceKind]),
            status=status,
            amount=amount,
            open_amount=(amount - Decimal(rng.randrange(0, int(amount * 100))) / 100) if is_open else ZERO,
            issue_date=issued,
            due_date=issued + timedelta(days=rng.choice((0, 15, 30, 60))),
            closed_on=None if is_open else issued + timedelta(days=rng.randrange(0, 200)),
        )
        invoices.append(invoice)
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            allocations.append(
                Allocation(
                    invoice_id=invoice.id,
                    amount=Decimal(rng.randrange(1, 100_000)) / 100,
                    payment_date=issued + timedelta(days=rng.randrange(0, 120)),
                    reversed=rng.random() < 0.2,
                )
            )
    return invoices, allocations


async def _store(conn, tenant_id: uuid.UUID, invoices: list[Invoice], allocations: list[Allocation]) -> None:
    customer_id = uuid.uuid4()
    await conn.execute(
        text("INSERT INTO receivables.customers (id, tenant_id, name) VALUES (:id, :tenant, 'Cliente')"),
        {"id": customer_id, "tenant": tenant_id},
    )
    await conn.execute(
        text(
            "INSERT INTO receivables.invoices (id, tenant_id, customer_id, number, kind, currency, amount, "
            "open_amount, issue_date, due_date, status, closed_on) VALUES (:id, :tenant, :customer, 'N', :kind, "
            ":currency, :amount, :open_amount, :issue_date, :due_date, :status, :closed_on)"
        ),
        [{**vars(i), "tenant": tenant_id, "customer": customer_id} for i in invoices],
    )
    payment_id = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO receivables.payments (id, tenant_id, customer_id, currency, amount, unapplied_amount, "
            "payment_date) VALUES (:id, :tenant, :customer, 'ARS', 0, 0, '2026-01-01')"
        ),
        {"id": payment_id, "tenant": tenant_id, "customer": customer_id},
    )
    if allocations:
        await conn.execute(
            text(
                "INSERT INTO receivables.payment_allocations (tenant_id, payment_id, invoice_id, amount, "
                "payment_date, reversed_at) VALUES (:tenant, :payment, :invoice_id, :amount, :payment_date, "
                "CASE WHEN :reversed THEN now() END)"
            ),
            [{**vars(a), "tenant": tenant_id, "payment": payment_id} for a in allocations],
        )


def _expected_dso(invoices: list[Invoice], as_of: date, months: int) -> dict[str, tuple[Decimal, Decimal, bool]]:
    """Per currency: (receivables, DSO, exhausted), invoice by invoice from the definitions."""
    periods = countback_months(as_of, months)
    window = (periods[-1][0], periods[0][1])
    expected = {}
    for currency in sorted({i.currency for i in invoices}):
        mine = [i for i in invoices if i.currency == currency and i.kind != "credit_note"]
        owed = [i for i in mine if i.status in OPEN and i.issue_date <= as_of]
        sold = [i for i in mine if i.status != "void" and window[0] <= i.issue_date <= window[1]]
        if not owed and not sold:
            continue
        receivables = sum((i.open_amount for i in owed), ZERO)
        sales = [
            (sum((i.amount for i in sold if first <= i.issue_date <= last), ZERO), (last - first).days + 1)
            for first, last in periods
        ]
        dso, exhausted = countback_dso(receivables, sales)
        expected[currency] = (receivables, dso, exhausted)
    return expected


def _expected_cei(invoices: list[Invoice], allocations: list[Allocation], start: date, end: date) -> dict:
    """Per currency: (beginning, sales, ending total, ending current, CEI), invoice by invoice."""
    before = start - timedelta(days=1)

    def paid(invoice: Invoice, by: date | None) -> Decimal:
        return sum(
            (
                a.amount
                for a in allocations
                if a.invoice_id == invoice.id and not a.reversed and (by is None or a.payment_date <= by)
            ),
            ZERO,
        )

    def owed(invoice: Invoice, day: date) -> Decimal:
        return receivable_at(
            day,
            issue_date=invoice.issue_date,
            closed_on=invoice.closed_on,
            is_open=invoice.status in OPEN,
            amount=invoice.amount,
            open_amount=invoice.open_amount,
            paid_by_day=paid(invoice, day),
            paid_in_all=paid(invoice, None),
        )

    expected = {}
    for currency in sorted({i.currency for i in invoices}):
        base = [
            i
            for i in invoices
            # an invoice waiting in a payment plan counts nowhere: its installments carry the debt (issue 19)
            if i.currency == currency
            and i.kind != "credit_note"
            and i.status not in ("void", "in_plan")
            and i.issue_date <= end
        ]
        if not base:
            continue
        beginning = sum((owed(i, before) for i in base), ZERO)
        sales = sum((i.amount for i in base if i.issue_date >= start), ZERO)
        ending_total = sum((owed(i, end) for i in base), ZERO)
        ending_current = sum((owed(i, end) for i in base if i.due_date >= end), ZERO)
        cei = collection_effectiveness(beginning, sales, ending_total, ending_current)
        expected[currency] = (beginning, sales, ending_total, ending_current, cei)
    return expected


def _close(a: Decimal | None, b: Decimal | None) -> bool:
    return a == b if a is None or b is None else abs(a - b) < Decimal("1e-9")


@pytest.mark.parametrize("seed", range(20))
async def test_dso_and_cei_statements_agree_with_the_definitions(stack, seed):
    rng = random.Random(seed)
    as_of = AS_OF_DAYS[seed % len(AS_OF_DAYS)] if seed < 10 else date(2026, 1, 1) + timedelta(rng.randrange(730))
    start = months_before(as_of, 1) + timedelta(days=1)
    invoices, allocations = _portfolio(rng, as_of)
    tenant_id = uuid.uuid4()
    async with stack.engine.begin() as conn:
        await _store(conn, tenant_id, invoices, allocations)
        f = KpiFilter(tenant_id=tenant_id, date_from=start, date_to=as_of, as_of=as_of)
        months = rng.choice((1, 3, 12))
        session = AsyncSession(bind=conn)
        dso = await repository.dso_countback(session, f, months)
        cei = await repository.collection_effectiveness(session, f)

    expected_dso = _expected_dso(invoices, as_of, months)
    assert [r.currency for r in dso] == list(expected_dso)
    for row in dso:
        receivables, value, exhausted = expected_dso[row.currency]
        assert (row.receivables, row.exhausted) == (receivables, exhausted), row
        assert _close(row.dso, value), (row, value)

    expected_cei = _expected_cei(invoices, allocations, start, as_of)
    assert [r.currency for r in cei] == list(expected_cei)
    for row in cei:
        beginning, sales, ending_total, ending_current, value = expected_cei[row.currency]
        assert (row.beginning, row.sales, row.ending_total, row.ending_current) == (
            beginning,
            sales,
            ending_total,
            ending_current,
        ), row
        assert _close(row.cei, value), (row, value)
