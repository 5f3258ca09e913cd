"""``shared.projection``: a batch of announced rows written by one statement (``unnest_source``), array, JSON and
amount columns included (they travel as texts: ``unnest`` flattens an array of arrays, and a decimal text costs
less to send than a ``numeric``), and the newest announcement of each row winning (``upsert_newest``, dunning's
customers)."""

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.models import User
from alarms_service.projection.repository import upsert_users
from dunning_service.projection.repository import upsert_customers, upsert_invoice_columns

AWKWARD = ['a "quoted" tag', "back\\slash", "comma, brace {x}", "NULL", "", "ñandú"]


def _customer(tenant_id: uuid.UUID, customer_id: uuid.UUID, revision: int, name: str) -> dict:
    return {
        "tenant_id": tenant_id,
        "id": customer_id,
        "revision": revision,
        "external_id": f"C-{revision}",
        "name": name,
        "tax_id": None,
        "country": "AR",
        "timezone": None,
        "language": None,
        "segment": None,
        "vip": False,
        "risk_level": None,
        "computed_risk_level": None,
        "tags": AWKWARD,
        "contacts": [{"channel": "email", "address": 'x"y@example.com', "invalid": False}],
        "opted_out_channels": [],
        "usable_channels": ["email"],
        "addresses": {"email": 'x"y@example.com'},
        "collector_id": None,
        "people": {"collector": {"id": None, "name": "Ana \\ Pérez", "email": None, "phone": None, "whatsapp": None}},
        "credits": {"ARS": "10.50"},
        "deleted": False,
    }


def _statements(conn) -> list[tuple[str, bool]]:
    """What the connection runs from now on: each statement, and whether it runs once per row (executemany)."""
    seen: list[tuple[str, bool]] = []
    event.listen(conn.sync_connection, "before_cursor_execute", lambda *args: seen.append((args[2], args[5])))
    return seen


async def test_a_batch_of_customers_is_one_statement_and_its_arrays_and_json_come_back_as_sent(stack):
    tenant_id = uuid.uuid4()
    rows = [_customer(tenant_id, uuid.uuid4(), 1, f"Cliente {n}") for n in range(3)]
    async with stack.engine.connect() as conn, conn.begin(), AsyncSession(bind=conn) as session:
        statements = _statements(conn)
        await upsert_customers(session, rows)
        assert [many for sql, many in statements if "INSERT INTO dunning.customers" in sql] == [False]
        stored = (
            await session.execute(
                text(
                    "SELECT tags, contacts, usable_channels, opted_out_channels, addresses, people, credits "
                    "FROM dunning.customers WHERE tenant_id = :t"
                ),
                {"t": tenant_id},
            )
        ).all()
        await conn.rollback()
    assert len(stored) == 3
    for row in stored:
        assert row.tags == AWKWARD
        assert row.contacts == rows[0]["contacts"] and row.addresses == rows[0]["addresses"]
        assert row.usable_channels == ["email"] and row.opted_out_channels == []
        assert row.people == rows[0]["people"] and row.credits == {"ARS": "10.50"}


async def test_an_older_revision_leaves_a_customer_as_the_newer_one_made_it(stack):
    tenant_id, customer_id = uuid.uuid4(), uuid.uuid4()
    async with stack.engine.connect() as conn, conn.begin(), AsyncSession(bind=conn) as session:
        await upsert_customers(session, [_customer(tenant_id, customer_id, 2, "Nuevo")])
        await upsert_customers(session, [_customer(tenant_id, customer_id, 1, "Viejo")])
        older = await session.execute(text("SELECT name FROM dunning.customers WHERE id = :c"), {"c": customer_id})
        assert older.scalar_one() == "Nuevo"
        # the same batch holding both: the newest wins too
        both = [_customer(tenant_id, customer_id, 4, "Cuarta"), _customer(tenant_id, customer_id, 3, "Tercera")]
        await upsert_customers(session, both)
        newest = await session.execute(text("SELECT name FROM dunning.customers WHERE id = :c"), {"c": customer_id})
        assert newest.scalar_one() == "Cuarta"
        await conn.rollback()


async def test_upsert_newest_writes_an_array_column_and_keeps_the_newest_announcement(stack):
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    table = User.__table__

    def user(roles: list[str] | None, name: str, at) -> dict:
        return {
            "tenant_id": tenant_id,
            "user_id": user_id,
            "email": "ana@example.com",
            "full_name": name,
            "roles": roles,
            "active": True,
            "announced_at": at,
        }

    async with stack.engine.connect() as conn, conn.begin(), AsyncSession(bind=conn) as session:
        now = (await session.execute(text("SELECT now()"))).scalar_one()
        await upsert_users(session, [user(["admin", 'odd "role"'], "Ana", now)])
        await upsert_users(session, [user(["collector"], "Ana vieja", now.replace(year=now.year - 1))])
        row = (
            await session.execute(
                text(f"SELECT roles, full_name FROM {table.schema}.{table.name} WHERE user_id = :u"), {"u": user_id}
            )
        ).one()
        await conn.rollback()
    assert row.roles == ["admin", 'odd "role"'] and row.full_name == "Ana"


async def test_invoice_amounts_travel_exactly_as_decimal_texts(stack):
    """Amounts go to the projection as their decimal texts (cheaper to send than ``numeric``): the stored value is
    the announced one to the cent, the largest the column holds included."""
    tenant_id, customer_id = uuid.uuid4(), uuid.uuid4()
    amounts = [Decimal("0.01"), Decimal("1234.50"), Decimal("9999999999999999.99")]
    ids = [uuid.uuid4() for _ in amounts]
    columns = {
        "tenant_id": [tenant_id] * 3,
        "id": ids,
        "customer_id": [customer_id] * 3,
        "revision": [1] * 3,
        "external_id": ["F-1", "F-2", "F-3"],
        "number": ["1", "2", "3"],
        "kind": ["invoice"] * 3,
        "currency": ["ARS"] * 3,
        "amount": amounts,
        "open_amount": [Decimal("0.00"), amounts[1], amounts[2]],
        "issue_date": [date(2026, 1, 1)] * 3,
        "due_date": [date(2026, 2, 1)] * 3,
        "status": ["normal"] * 3,
        "promised_date": [None] * 3,
        "reported_date": [None] * 3,
        "dispute_area_id": [None] * 3,
        "document_url": [None] * 3,
        "plan_id": [None] * 3,
    }
    async with stack.engine.connect() as conn, conn.begin(), AsyncSession(bind=conn) as session:
        await upsert_invoice_columns(session, columns)
        stored = dict(
            (
                await session.execute(
                    text("SELECT id, (amount, open_amount) FROM dunning.invoices WHERE tenant_id = :t"),
                    {"t": tenant_id},
                )
            ).all()
        )
        await conn.rollback()
    assert [stored[i] for i in ids] == [
        (amounts[0], Decimal("0.00")),
        (amounts[1], amounts[1]),
        (amounts[2], amounts[2]),
    ]
