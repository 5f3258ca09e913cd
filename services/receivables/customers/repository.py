"""Customer queries. The single-customer read is the API's hottest path: raw asyncpg (see ``read_customer``)."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import Select, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.customers.schemas import CustomerFilters
from services.receivables.events import ADVISOR_JSON, COLLECTOR_JSON, PEOPLE_JOINS, SUPERVISOR_JSON
from services.receivables.invoices.repository import has_overdue as overdue_exists
from services.receivables.models import Customer
from shared.contracts.common import Person
from shared.pagination import keyset

_table = Customer.__table__


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """A stored customer (every column of ``receivables.customers``)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    revision: int
    external_id: str | None
    name: str
    tax_id: str | None
    country: str | None
    timezone: str | None
    language: str | None
    segment: str | None
    vip: bool
    risk_level: str | None
    computed_risk_level: str | None
    computed_risk_reasons: list[str]
    tags: list[str]
    contacts: list[dict[str, Any]]  # [{"channel", "address", "invalid"}]
    opted_out_channels: list[str]
    collector_id: uuid.UUID | None
    advisor_id: uuid.UUID | None
    deleted: bool
    source_version: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerPeople:
    """The customer's collector, business advisor and the advisor's supervisor, as messages show them."""

    collector: Person | None = None
    advisor: Person | None = None
    supervisor: Person | None = None


_COLUMNS = ", ".join(c.name for c in _table.columns)
_READ_ONE = f"SELECT {_COLUMNS} FROM receivables.customers WHERE tenant_id = $1 AND id = $2 AND NOT deleted"


# Raw asyncpg on purpose (the one exception to "repositories take an AsyncSession"): this is the read that
# ``bench/gateway.py`` measures (the authenticated single-row read), where SQLAlchemy Core cost about as much as
# the query itself (``shared.db.create_pg_pool``). Keep it to this one statement.
async def read_customer(pool: asyncpg.Pool, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any] | None:
    row = await pool.fetchrow(_READ_ONE, tenant_id, customer_id)
    if row is None:
        return None
    customer = dict(row)
    customer["contacts"] = orjson.loads(customer["contacts"])  # asyncpg hands jsonb over as text
    return customer


async def load_customer(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> CustomerRow | None:
    """The customer (not deleted) inside the caller's transaction, or None."""
    query = select(_table).where(
        _table.c.tenant_id == tenant_id, _table.c.id == customer_id, _table.c.deleted.is_(False)
    )
    row = (await session.execute(query)).mappings().first()
    return None if row is None else CustomerRow(**row)


async def get_for_update(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> Customer | None:
    return await session.scalar(
        select(Customer)
        .where(Customer.tenant_id == tenant_id, Customer.id == customer_id, Customer.deleted.is_(False))
        .with_for_update()
    )


async def find_by_external_id(session: AsyncSession, tenant_id: uuid.UUID, external_id: str) -> Customer | None:
    return await session.scalar(
        select(Customer).where(Customer.tenant_id == tenant_id, Customer.external_id == external_id)
    )


def filtered_customers(tenant_id: uuid.UUID, filters: CustomerFilters, today: date | None) -> Select[Any]:
    """The tenant's customers that pass the list's filters (``today`` for ``has_overdue``), unordered."""
    query = select(_table).where(_table.c.tenant_id == tenant_id, _table.c.deleted.is_(False))
    if filters.collector_id:
        query = query.where(_table.c.collector_id == filters.collector_id)
    if filters.advisor_id:
        query = query.where(_table.c.advisor_id == filters.advisor_id)
    if filters.vip is not None:
        query = query.where(_table.c.vip.is_(filters.vip))
    if filters.risk_level:
        query = query.where(_table.c.risk_level == filters.risk_level)
    if filters.computed_risk_level:
        query = query.where(_table.c.computed_risk_level == filters.computed_risk_level)
    if filters.has_overdue is not None and today is not None:
        query = query.where(overdue_exists(today) if filters.has_overdue else ~overdue_exists(today))
    if filters.segment:
        query = query.where(_table.c.segment == filters.segment)
    if filters.tag:
        query = query.where(_table.c.tags.contains([filters.tag.lower()]))
    if filters.q:
        pattern = f"%{filters.q}%"
        query = query.where(
            or_(
                _table.c.name.ilike(pattern),
                _table.c.tax_id.ilike(pattern),
                _table.c.external_id.ilike(pattern),
            )
        )
    return query


ORDER = (_table.c.name, _table.c.id)  # the list's order, deterministic


async def list_customers(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    filters: CustomerFilters,
    today: date | None = None,
) -> list[CustomerRow]:
    """Customers by name then id (deterministic), keyset-paginated."""
    query = keyset(filtered_customers(tenant_id, filters, today), ORDER, (str, uuid.UUID), after, limit)
    return [CustomerRow(**row) for row in (await session.execute(query)).mappings()]


async def people_of_customer(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> CustomerPeople:
    """The customer's collector, business advisor and the advisor's supervisor (none for an unknown customer)."""
    query = text(
        f"SELECT {COLLECTOR_JSON} AS collector, {ADVISOR_JSON} AS advisor, {SUPERVISOR_JSON} AS supervisor "
        f"FROM receivables.customers c {PEOPLE_JOINS} WHERE c.tenant_id = :tenant_id AND c.id = :customer_id"
    )
    row = (await session.execute(query, {"tenant_id": tenant_id, "customer_id": customer_id})).mappings().first()
    if row is None:
        return CustomerPeople()
    return CustomerPeople(
        **{
            role: None if row[role] is None else Person.model_validate(row[role])
            for role in ("collector", "advisor", "supervisor")
        }
    )
