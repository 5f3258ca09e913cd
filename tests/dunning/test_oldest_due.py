"""Each customer's oldest due date among its demanded invoices (normal and owed), kept by the projection as its
invoices change (``projection.repository.keep_oldest_due``): the age a message's tone rises with (seed 004: the tone
follows how long the debt has been overdue; ``Position.oldest_days_overdue``). Every way an invoice reaches the
projection moves it: single events, bulk batches, a customer announced after its invoices, an invoice paid,
promised, reassigned to another customer, a credit note, one no longer listed upstream."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg
from sqlalchemy import text

from dunning_service.projection import repository
from shared.contracts.common import InvoiceKind, InvoiceStatus
from shared.contracts.receivables import CustomerChanged, InvoiceChanged, InvoicesChanged, InvoiceSnapshot
from tests.conftest import TEST_DATABASE, TEST_SERVER
from tests.dunning.support import dunning_tenant, feed
from tests.support import migrate, recreate_database

OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)
SCRATCH = f"{TEST_DATABASE}_oldest_due"
URL = f"postgresql+asyncpg://{TEST_SERVER}/{SCRATCH}"
DSN = f"postgresql://{TEST_SERVER}/{SCRATCH}"


def _invoice(customer_id: uuid.UUID, due: date, revision: int = 1, **fields) -> InvoiceChanged:
    return InvoiceChanged(
        **{
            "invoice_id": uuid.uuid4(),
            "revision": revision,
            "customer_id": customer_id,
            "number": f"F-{due.isoformat()}",
            "currency": "ARS",
            "amount": Decimal(100),
            "open_amount": Decimal(100),
            "issue_date": due - timedelta(days=30),
            "due_date": due,
            "status": InvoiceStatus.NORMAL,
            **fields,
        }
    )


def _again(invoice: InvoiceChanged, **changes) -> InvoiceChanged:
    return invoice.model_copy(update={"revision": invoice.revision + 1, **changes})


async def _oldest(stack, *customers: uuid.UUID) -> list[date | None]:
    async with stack.engine.connect() as conn:
        rows = await conn.execute(text("SELECT id, oldest_due_date FROM dunning.customers"))
        kept = dict(rows.all())
    return [kept.get(c) for c in customers]


async def test_the_oldest_due_date_follows_every_change_of_the_customers_invoices(api, stack):
    tenant = await dunning_tenant(api, stack)
    ana, bruno = uuid.uuid4(), uuid.uuid4()
    october, november = _invoice(ana, OCT), _invoice(ana, NOV)
    credit_note = _invoice(ana, date(2026, 9, 1), kind=InvoiceKind.CREDIT_NOTE)

    # the invoices come before their customer (another queue): the customer finds its oldest debt on arrival
    await feed(stack, tenant.id, [october, november, credit_note])
    await feed(stack, tenant.id, [CustomerChanged(customer_id=c, revision=1, name=str(c)) for c in (ana, bruno)])
    assert await _oldest(stack, ana, bruno) == [OCT, None]  # a credit note is no debt

    october = _again(october, status=InvoiceStatus.PROMISE_TO_PAY, promised_date=DEC)
    await feed(stack, tenant.id, [october])
    assert await _oldest(stack, ana) == [NOV]  # a promised invoice is not demanded

    november = _again(november, customer_id=bruno)  # reassigned: the customer it left forgets it
    await feed(stack, tenant.id, [november])
    assert await _oldest(stack, ana, bruno) == [None, NOV]

    # a bulk batch: paid (nothing owed) on one side, demanded again on the other
    batch = [_again(october, status=InvoiceStatus.NORMAL, promised_date=None), _again(november, open_amount=0)]
    names = list(InvoiceSnapshot.model_fields)
    await feed(
        stack,
        tenant.id,
        [InvoicesChanged(**{name: [getattr(s, name) for s in batch] for name in names})],
    )
    assert await _oldest(stack, ana, bruno) == [OCT, None]

    # an older revision changes nothing
    await feed(stack, tenant.id, [_again(_again(november, customer_id=ana), revision=1)])
    assert await _oldest(stack, ana, bruno) == [OCT, None]

    # no longer listed upstream (the resync): out of the debt
    async with stack.services["dunning"].state.sessionmaker() as session, session.begin():
        assert await repository.mark_invoices_missing(session, tenant.id, datetime.now(UTC) + timedelta(hours=1)) == 3
    assert await _oldest(stack, ana, bruno) == [None, None]


async def test_migration_0048_fills_the_oldest_due_date_of_the_customers_it_finds():
    tenant, ana, bruno, carla = (uuid.uuid4() for _ in range(4))
    invoices = [  # (customer, due date, status, kind, open amount)
        (ana, NOV, "normal", "invoice", 100),
        (ana, OCT, "normal", "invoice", 100),
        (ana, date(2026, 9, 1), "normal", "credit_note", 100),
        (bruno, OCT, "promise_to_pay", "invoice", 100),
        (bruno, DEC, "normal", "installment", 100),
        (carla, OCT, "paid", "invoice", 0),
    ]
    await recreate_database(TEST_SERVER, SCRATCH)
    await migrate(URL, "0047")
    conn = await asyncpg.connect(DSN)
    try:
        await conn.executemany(
            "INSERT INTO dunning.customers (tenant_id, id, revision, name) VALUES ($1, $2, 1, 'Cliente')",
            [(tenant, c) for c in (ana, bruno, carla)],
        )
        await conn.executemany(
            "INSERT INTO dunning.invoices (tenant_id, id, customer_id, revision, number, kind, currency, amount, "
            "open_amount, issue_date, due_date, status) VALUES ($1, gen_random_uuid(), $2, 1, 'F', $3, 'ARS', 100, "
            "$4, $5, $5, $6)",
            [(tenant, c, kind, amount, due, status) for c, due, status, kind, amount in invoices],
        )
        await migrate(URL, "0048")
        rows = await conn.fetch("SELECT id, oldest_due_date FROM dunning.customers")
        assert dict((row["id"], row["oldest_due_date"]) for row in rows) == {ana: OCT, bruno: DEC, carla: None}
    finally:
        await conn.close()
