"""Queries on the tenant's people: gateway users (projection), advisors and supervisors, dispute areas."""

import uuid
from typing import Any

from sqlalchemy import any_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.receivables.models import Customer, DisputeArea, Person, TenantUser
from shared.identity import COLLECTOR
from shared.pagination import keyset
from shared.problems import NotFound, ValidationProblem

_people = Person.__table__
_users = TenantUser.__table__
_areas = DisputeArea.__table__


def name_key(name: str) -> str:
    """How a person is recognised across CSV uploads: case and spacing do not matter."""
    return " ".join(name.split()).lower()


async def require_user(
    conn: AsyncSession | AsyncConnection, tenant_id: uuid.UUID, user_id: uuid.UUID, field: str, role: str | None = None
) -> Any:
    """The tenant's user, or a 422 naming ``field`` (an unknown id, or one without ``role``)."""
    row = (
        await conn.execute(select(_users).where(_users.c.tenant_id == tenant_id, _users.c.user_id == user_id))
    ).first()
    if row is None:
        raise ValidationProblem.field(field, "is not a user of this tenant")
    if role is not None and role not in row.roles:
        raise ValidationProblem.field(field, f"is not a user with the {role} role")
    return row


async def require_person(
    conn: AsyncSession | AsyncConnection,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    field: str,
    kind: str | None = None,
) -> Any:
    row = (
        await conn.execute(select(_people).where(_people.c.tenant_id == tenant_id, _people.c.id == person_id))
    ).first()
    if row is None:
        raise ValidationProblem.field(field, "is not a person of this tenant")
    if kind is not None and row.kind != kind:
        raise ValidationProblem.field(field, f"is not a person of kind {kind}")
    return row


async def get_person(session: AsyncSession, tenant_id: uuid.UUID, person_id: uuid.UUID) -> Person:
    person = await session.scalar(select(Person).where(Person.tenant_id == tenant_id, Person.id == person_id))
    if person is None:
        raise NotFound("Person not found")
    return person


async def list_people(
    conn: AsyncConnection, tenant_id: uuid.UUID, *, limit: int, after: list[Any] | None, kind: str | None, q: str | None
) -> list[Any]:
    query = select(_people).where(_people.c.tenant_id == tenant_id)
    if kind:
        query = query.where(_people.c.kind == kind)
    if q:
        query = query.where(_people.c.name.ilike(f"%{q}%"))
    query = keyset(query, (_people.c.name, _people.c.id), (str, uuid.UUID), after, limit)
    return list((await conn.execute(query)).mappings().all())


async def list_collectors(conn: AsyncConnection, tenant_id: uuid.UUID, include_inactive: bool) -> list[Any]:
    customers = Customer.__table__
    counts = (
        select(customers.c.collector_id, func.count().label("customers"))
        .where(customers.c.tenant_id == tenant_id, customers.c.deleted.is_(False))
        .group_by(customers.c.collector_id)
        .subquery()
    )
    query = (
        select(
            _users.c.user_id,
            _users.c.full_name.label("name"),
            _users.c.email,
            _users.c.roles,
            _users.c.active,
            _people.c.phone,
            _people.c.whatsapp,
            func.coalesce(counts.c.customers, 0).label("customers"),
        )
        .select_from(
            _users.outerjoin(
                _people, (_people.c.tenant_id == tenant_id) & (_people.c.user_id == _users.c.user_id)
            ).outerjoin(counts, counts.c.collector_id == _users.c.user_id)
        )
        .where(_users.c.tenant_id == tenant_id, any_(_users.c.roles) == COLLECTOR)
        .order_by(_users.c.full_name, _users.c.user_id)
    )
    if not include_inactive:
        query = query.where(_users.c.active.is_(True))
    return list((await conn.execute(query)).mappings().all())


async def get_area(session: AsyncSession, tenant_id: uuid.UUID, area_id: uuid.UUID) -> DisputeArea:
    area = await session.scalar(
        select(DisputeArea).where(DisputeArea.tenant_id == tenant_id, DisputeArea.id == area_id)
    )
    if area is None:
        raise NotFound("Dispute area not found")
    return area


async def list_areas(conn: AsyncConnection | AsyncSession, tenant_id: uuid.UUID) -> list[Any]:
    query = select(_areas).where(_areas.c.tenant_id == tenant_id).order_by(_areas.c.name, _areas.c.id)
    return list((await conn.execute(query)).mappings().all())


async def people_by_id(conn: AsyncConnection | AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> dict:
    if not ids:
        return {}
    rows = (
        await conn.execute(select(_people).where(_people.c.tenant_id == tenant_id, _people.c.id.in_(ids)))
    ).mappings()
    return {row["id"]: dict(row) for row in rows}
