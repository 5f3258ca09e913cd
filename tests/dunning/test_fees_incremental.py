"""The incremental assessment of late charges (issue 19, ``fees/watermark.py``) charges exactly what the full one
does: ``test_fees_agree``'s random portfolios (strategies with fees of their own, the tenant's defaults, the payment
plans', a legal maximum and caps that clip) over business days, with random changes between them as receivables
announces them (payments, a dispute and back, a promise and back, new invoices already overdue, due dates moved,
customers moving to another strategy, a charge waived, a rule edited, a month boundary). Each day the full
statement's new charges, computed first and writing nothing, are what the real assessment inserts; a dry run counts
the same. Time passes by moving every timestamp a day back (the rows' ``seen_at``, the watermark's time), so only
the day's changes are recent."""

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.fees import repository as fee_repository
from dunning_service.fees import service as fees
from dunning_service.fees import statements, watermark
from dunning_service.runs import payloads, selection
from dunning_service.runs.context import load_strategies
from shared.contracts.common import InvoiceKind, InvoiceStatus
from shared.contracts.receivables import InvoiceChanged
from tests.dunning.support import feed
from tests.dunning.test_fees_agree import RISK_FEES, fee_tenant

DAYS = [
    date(2026, 3, 2),
    date(2026, 3, 3),
    date(2026, 3, 5),
    date(2026, 3, 9),
    date(2026, 3, 16),
    date(2026, 3, 31),
    date(2026, 4, 1),
    date(2026, 4, 2),
    date(2026, 4, 6),
    date(2026, 4, 20),
    date(2026, 4, 21),
    date(2026, 4, 21),
]  # fmt: skip (the last day twice: the same day again looks at what changed since and the retries only)
EDITED_ON = date(2026, 4, 6)  # the high-risk strategy's rules are edited before this day's run
FULL_ON = {DAYS[0]: "no assessment yet", date(2026, 4, 1): "a month of interest", EDITED_ON: "a rule edited"}


async def _compiled(stack, tenant_id: uuid.UUID) -> selection.CompiledStrategies:
    async with stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        return selection.compile_strategies(await load_strategies(session, tenant_id))


async def _full(stack, tenant_id: uuid.UUID, compiled, day: date) -> set[tuple]:
    """The reference: the full statement's new charges, writing nothing."""
    async with stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        setup = await fees.load_setup(session, tenant_id)
        params = statements.assess_params(setup, compiled, tenant_id, day, None)
        rows = (await session.execute(text(statements.rows_statement(compiled)), params)).all()
    return {(r.charge_id, r.key, r.amount) for r in rows}


async def _dry(stack, tenant_id: uuid.UUID, compiled, day: date) -> list:
    async with stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        return await fees.assess_day(session, tenant_id, day, compiled, None, dry=True)  # rolled back


async def _real(stack, tenant_id: uuid.UUID, compiled, day: date) -> tuple[list, set[tuple], int | None]:
    run_id = uuid.uuid4()
    async with stack.engine.begin() as conn, AsyncSession(bind=conn) as session:
        totals = await fees.assess_day(session, tenant_id, day, compiled, run_id, dry=False)
    async with stack.engine.connect() as conn:
        query = "SELECT id, key, amount FROM dunning.charges WHERE run_id = :r"
        inserted = {tuple(r) for r in await conn.execute(text(query), {"r": run_id})}
        candidates = await conn.scalar(
            text("SELECT candidates FROM dunning.fee_watermarks WHERE tenant_id = :t"), {"t": tenant_id}
        )
    return totals, inserted, candidates


async def _a_day_passes(stack, tenant_id: uuid.UUID) -> None:
    """Every change so far, and the last assessment, a day older."""
    async with stack.engine.begin() as conn:
        for table, column in [("customers", "seen_at"), ("invoices", "seen_at"), ("charges", "status_changed_at"),
                              ("fee_watermarks", "assessed_at")]:  # fmt: skip
            await conn.execute(
                text(f"UPDATE dunning.{table} SET {column} = {column} - interval '1 day' WHERE tenant_id = :t"),
                {"t": tenant_id},
            )


async def _scalar_set(stack, query: str, tenant_id: uuid.UUID) -> set:
    async with stack.engine.connect() as conn:
        return set((await conn.execute(text(query), {"t": tenant_id})).scalars())


def _cents(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1) if currency == "CLP" else Decimal("0.01"))


class _Receivables:
    """Receivables' side between two days: snapshots with growing revisions, some changes undone the next time."""

    def __init__(self, stack, tenant, rng: random.Random, customers, invoices) -> None:
        self.stack, self.tenant, self.rng = stack, tenant, rng
        self.customers = {c.customer_id: c for c in customers}
        self.invoices = {i.invoice_id: i for i in invoices}
        self.undo: list[InvoiceChanged] = []
        self.added = 0

    def _bump(self, invoice: InvoiceChanged, **changes) -> InvoiceChanged:
        changed = invoice.model_copy(update={**changes, "revision": invoice.revision + 1})
        self.invoices[invoice.invoice_id] = changed
        return changed

    async def change(self, day: date) -> None:
        rng = self.rng
        normal = [i for i in self.invoices.values() if i.status == InvoiceStatus.NORMAL and i.open_amount > 0]
        out = [self._bump(i, status=InvoiceStatus.NORMAL) for i in self.undo]  # back from a dispute, a promise
        self.undo = []
        picked = rng.sample(normal, 8)
        for inv in picked[:3]:  # payments: part of it, or all of it
            paid = rng.random() < 0.3
            rest = Decimal(0) if paid else _cents(inv.open_amount / 2, inv.currency)
            out.append(self._bump(inv, open_amount=rest, status=InvoiceStatus.PAID if paid else inv.status))
        for inv, status in [(picked[3], InvoiceStatus.DISPUTE), (picked[4], InvoiceStatus.PROMISE_TO_PAY)]:
            self.undo.append(self._bump(inv, status=status))
            out.append(self.invoices[inv.invoice_id])
        out.append(self._bump(picked[5], due_date=picked[5].due_date + timedelta(days=rng.randint(-20, 20))))
        for _ in range(2):  # new invoices, already overdue
            due = day - timedelta(days=rng.randint(1, 60))
            currency = rng.choice(["ARS", "USD"])
            amount = Decimal(rng.choice(["900", "15000.50", "60000"]))
            self.added += 1
            new = InvoiceChanged(
                invoice_id=uuid.uuid4(), revision=1, customer_id=rng.choice(list(self.customers)),
                number=f"N-{self.added:04d}", kind=InvoiceKind.INVOICE, currency=currency, amount=amount,
                open_amount=amount, issue_date=due - timedelta(days=30), due_date=due, status=InvoiceStatus.NORMAL,
            )  # fmt: skip
            self.invoices[new.invoice_id] = new
            out.append(new)
        await feed(self.stack, self.tenant.id, out)
        customer = rng.choice(list(self.customers.values()))  # another strategy: other rules
        moved = customer.model_copy(
            update={
                "revision": customer.revision + 1,
                "segment": "retail" if customer.segment == "wholesale" else "wholesale",
                "risk_level": rng.choice([None, "high"]),
            }
        )
        self.customers[customer.customer_id] = moved
        await feed(self.stack, self.tenant.id, [moved])
        await self._waive_one()

    async def _waive_one(self) -> None:
        query = "SELECT id FROM dunning.charges WHERE tenant_id = :t AND status = 'open' ORDER BY key"
        open_ids = sorted(await _scalar_set(self.stack, query, self.tenant.id), key=str)
        if open_ids:
            async with self.stack.engine.begin() as conn, AsyncSession(bind=conn) as session:
                change = {"tenant_id": self.tenant.id, "id": self.rng.choice(open_ids), "status": "waived"}
                await fee_repository.set_statuses(session, [change])


async def _open_charges_kept(stack, tenant_id: uuid.UUID) -> None:
    """``dunning.open_charges`` holds each customer's open charges as a message lists them (``payloads.charge_line``
    over the charges recorded): kept by every assessment and waiver."""
    async with stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        query = "SELECT customer_id, charges FROM dunning.open_charges WHERE tenant_id = :t"
        kept = {row.customer_id: row.charges for row in await conn.execute(text(query), {"t": tenant_id})}
        charged = await _scalar_set(stack, "SELECT customer_id FROM dunning.charges WHERE tenant_id = :t", tenant_id)
        recorded = await fee_repository.customer_charges(session, tenant_id, list(charged))
    assert {customer: charges for customer, charges in kept.items() if charges} == {
        customer: [payloads.charge_line(charge) for charge in charges] for customer, charges in recorded.items()
    }


async def _edit_rules(api, tenant) -> None:
    """The high-risk strategy's percentage raised and its cap moved: the fingerprint changes."""
    listed = (await api.get("/v1/strategies", headers=tenant.admin)).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    (high,) = [s for s in items if s["name"] == "High risk"]
    edited = [{**RISK_FEES[0], "percent": "4", "cap": {"amounts": {"ARS": "260"}}}, *RISK_FEES[1:]]
    response = await api.patch(f"/v1/strategies/{high['id']}", json={"fees": edited}, headers=tenant.admin)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("seed", "by_amount"), [(4, False), (5, True)])
async def test_incremental_assessment_charges_what_the_full_one_does(api, stack, seed, by_amount):
    rng = random.Random(seed)
    tenant, customers, invoices = await fee_tenant(api, stack, rng, by_amount=by_amount, customers=100)
    receivables = _Receivables(stack, tenant, rng, customers, invoices)
    await _a_day_passes(stack, tenant.id)
    modes: dict[date, int | None] = {}
    retried_and_charged = 0
    for n, day in enumerate(DAYS):
        if n:
            await _a_day_passes(stack, tenant.id)
            if day != DAYS[n - 1]:
                await receivables.change(day)
        if day == EDITED_ON:
            await _edit_rules(api, tenant)
        compiled = await _compiled(stack, tenant.id)
        full = await _full(stack, tenant.id, compiled, day)
        retries = await _scalar_set(stack, "SELECT invoice_id FROM dunning.fee_retries WHERE tenant_id = :t", tenant.id)
        dry = await _dry(stack, tenant.id, compiled, day)
        real, inserted, modes[day] = await _real(stack, tenant.id, compiled, day)
        assert sorted(inserted, key=str) == sorted(full, key=str), day
        assert dry == real, day
        assert sum(t.n for t in real) == len(full), day
        await _open_charges_kept(stack, tenant.id)
        # the retries are the invoices clipped by the legal maximum (or a cap with room left): some are charged later
        by_key = {key.split(":")[1] for _, key, _ in inserted}
        retried_and_charged += len({str(i) for i in retries} & by_key)
    normal = sum(1 for i in receivables.invoices.values() if i.status == InvoiceStatus.NORMAL)
    assert {day for day, candidates in modes.items() if candidates is None} == set(FULL_ON)
    looked_at = [candidates for candidates in modes.values() if candidates is not None]
    assert max(looked_at) < normal and sum(looked_at) < len(looked_at) * normal / 2  # a few of the invoices
    assert retried_and_charged > 0


async def test_a_run_of_an_earlier_day_assesses_in_full(api, stack, monkeypatch):
    """A day before the watermark's is assessed in full and moves the watermark back to it; the next day is
    incremental from there; with more candidates than ``MAX_CANDIDATES`` (a resync marks every row seen) in full."""
    tenant, _, _ = await fee_tenant(api, stack, random.Random(6))
    compiled = await _compiled(stack, tenant.id)
    days = [
        (date(2026, 3, 16), True),
        (date(2026, 3, 17), False),
        (date(2026, 3, 10), True),
        (date(2026, 3, 11), False),
    ]
    for day, in_full in days:
        full = await _full(stack, tenant.id, compiled, day)
        _, inserted, candidates = await _real(stack, tenant.id, compiled, day)
        assert inserted == full, day
        assert (candidates is None) == in_full, day
    monkeypatch.setattr(watermark, "MAX_CANDIDATES", 1)
    full = await _full(stack, tenant.id, compiled, date(2026, 3, 12))
    _, inserted, candidates = await _real(stack, tenant.id, compiled, date(2026, 3, 12))
    assert inserted == full and candidates is None
