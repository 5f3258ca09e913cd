"""The projection alarms keeps from events: an older event never overwrites a newer state, a message takes effect
once, and a broken promise is written once."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from alarms_service.worker import HANDLERS
from shared.contracts.dunning import ActionItemChanged
from shared.contracts.gateway import TenantChanged, UserChanged
from shared.contracts.receivables import CustomerChanged, InvoiceChanged, PromiseBroken
from shared.inbox import process_batch
from shared.messages import Envelope
from tests.alarms.support import feed

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def rows(stack, query: str, **params) -> list:
    async with stack.engine.connect() as conn:
        return list((await conn.execute(text(query), params)).mappings().all())


def invoice(invoice_id: uuid.UUID, customer_id: uuid.UUID, revision: int, status: str, **fields) -> InvoiceChanged:
    return InvoiceChanged(
        invoice_id=invoice_id,
        revision=revision,
        customer_id=customer_id,
        number="F-1",
        currency="ars",
        amount=Decimal("100"),
        open_amount=Decimal(fields.pop("open_amount", "100")),
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 11, 1),
        status=status,
        **fields,
    )


async def test_older_snapshots_never_overwrite_newer_ones(api, stack):
    tenant_id, customer_id, invoice_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    collector_new, collector_old = uuid.uuid4(), uuid.uuid4()
    await feed(
        stack,
        tenant_id,
        [CustomerChanged(customer_id=customer_id, revision=3, name="Nuevo", collector_id=collector_new)],
    )
    await feed(
        stack,
        tenant_id,
        [CustomerChanged(customer_id=customer_id, revision=2, name="Viejo", collector_id=collector_old)],
    )
    (customer,) = await rows(stack, "SELECT name, collector_id, revision FROM alarms.customers")
    assert (customer["name"], customer["collector_id"], customer["revision"]) == ("Nuevo", collector_new, 3)

    area = uuid.uuid4()
    await feed(stack, tenant_id, [invoice(invoice_id, customer_id, 5, "dispute", dispute_area_id=area)], at=T0)
    await feed(stack, tenant_id, [invoice(invoice_id, customer_id, 4, "normal")], at=T0 + timedelta(hours=1))
    await feed(stack, tenant_id, [invoice(invoice_id, customer_id, 6, "dispute")], at=T0 + timedelta(days=2))
    (row,) = await rows(stack, "SELECT status, revision, dispute_area_id, status_since, currency FROM alarms.invoices")
    # revision 4 came late and was ignored; revision 6 kept the status, so the dispute still dates from T0
    assert (row["status"], row["revision"], row["status_since"], row["currency"]) == ("dispute", 6, T0, "ARS")
    assert row["dispute_area_id"] is None  # what revision 6 says

    # several revisions of one invoice in one batch: the newest wins, the status dates from the first of the run
    other = uuid.uuid4()
    batch = [
        invoice(other, customer_id, 3, "payment_reported", reported_date=date(2026, 11, 10)),
        invoice(other, customer_id, 1, "normal"),
        invoice(other, customer_id, 2, "payment_reported", reported_date=date(2026, 11, 9)),
    ]
    envelopes = []
    for n, m in enumerate(batch):
        envelopes.append(Envelope.wrap(m, tenant_id).model_copy(update={"occurred_at": T0 + timedelta(minutes=10 * n)}))
    await process_batch(
        {},
        stack.services["alarms"].state.sessionmaker,
        "alarms",
        HANDLERS,
        [e.model_dump(mode="json") for e in envelopes],
    )
    (row,) = await rows(
        stack, "SELECT status, revision, reported_date, status_since FROM alarms.invoices WHERE id = :i", i=other
    )
    assert (row["status"], row["revision"], row["reported_date"]) == ("payment_reported", 3, date(2026, 11, 10))
    assert row["status_since"] == T0 + timedelta(minutes=20)  # revision 2's event


async def test_tenants_users_and_action_items_are_ordered_by_the_events_time(api, stack):
    tenant_id, user_id, item_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def tenant(zone: str) -> TenantChanged:
        return TenantChanged(
            tenant_id=tenant_id, slug="t", name="T", country="mx", timezone=zone, default_currency="MXN", language="es"
        )

    await feed(stack, tenant_id, [tenant("America/Mexico_City")], at=T0 + timedelta(minutes=5))
    await feed(stack, tenant_id, [tenant("UTC")], at=T0)
    (row,) = await rows(stack, "SELECT timezone, country FROM alarms.tenants")
    assert (row["timezone"], row["country"]) == ("America/Mexico_City", "MX")

    def user(email: str, active: bool) -> UserChanged:
        return UserChanged(user_id=user_id, email=email, full_name="Carla", roles=["collector"], active=active)

    await feed(stack, tenant_id, [user("nueva@x.example", False)], at=T0 + timedelta(minutes=5))
    await feed(stack, tenant_id, [user("vieja@x.example", True)], at=T0)
    (row,) = await rows(stack, "SELECT email, active FROM alarms.users")
    assert (row["email"], row["active"]) == ("nueva@x.example", False)

    def item(status: str) -> ActionItemChanged:
        return ActionItemChanged(
            action_item_id=item_id,
            customer_id=uuid.uuid4(),
            invoice_ids=[uuid.uuid4()],
            action="legal",
            status=status,
            created_on=date(2026, 11, 20),
        )

    await feed(stack, tenant_id, [item("done")], at=T0 + timedelta(minutes=5))
    await feed(stack, tenant_id, [item("open")], at=T0)  # the creation, delivered late
    (row,) = await rows(stack, "SELECT status FROM alarms.action_items")
    assert row["status"] == "done"


async def test_a_message_takes_effect_once_and_a_broken_promise_is_written_once(api, stack):
    tenant_id = uuid.uuid4()
    promise = PromiseBroken(
        promise_id=uuid.uuid4(),
        invoice_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        promised_date=date(2026, 11, 18),
        broken_on=date(2026, 11, 20),
        currency="ARS",
        open_amount=Decimal("10"),
    )
    envelope = Envelope.wrap(promise, tenant_id).model_dump(mode="json")
    sessionmaker = stack.services["alarms"].state.sessionmaker
    assert await process_batch({}, sessionmaker, "alarms", HANDLERS, [envelope, envelope]) == 1
    assert await process_batch({}, sessionmaker, "alarms", HANDLERS, [envelope]) == 0
    assert await feed(stack, tenant_id, [promise]) == 1  # the same fact in another message: still one row
    assert len(await rows(stack, "SELECT * FROM alarms.broken_promises")) == 1
