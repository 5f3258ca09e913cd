"""Queries on the tenant's people: gateway users (projection), advisors and supervisors, dispute areas."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import any_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import bump_and_emit_customers
from services.receivables.models import Customer, DisputeArea, Person, TenantUser
from services.receivables.people.schemas import CollectorOut, PersonOut
from shared.contracts.gateway import UserChanged
from shared.identity import COLLECTOR
from shared.pagination import keyset
from shared.problems import NotFound, ValidationProblem
from shared.projection import newest, upsert_newest
from shared.tenant_users import TenantUsers

_people = Person.__table__
_users = TenantUser.__table__
_areas = DisputeArea.__table__


@dataclass(frozen=True, slots=True)
class AreaRow:
    """A stored dispute area (its responsible is read apart: ``people_by_id``)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    responsible_id: uuid.UUID | None
    active: bool
    created_at: datetime
    updated_at: datetime


def name_key(name: str) -> str:
    """How a person is recognised across CSV uploads: case and spacing do not matter."""
    return " ".join(name.split()).lower()


USER_KEY = ("tenant_id", "user_id")
USER_FIELDS = ("email", "full_name", "roles", "active")
SHOWN = ("email", "full_name")  # what a customer snapshot shows of its collector


def user_row(tenant_id: uuid.UUID, user: UserChanged, announced_at: datetime | None) -> dict[str, Any]:
    """A projection row: ``announced_at`` is the event's time, None for what a look-up of the gateway answered."""
    return {
        "tenant_id": tenant_id,
        "user_id": user.user_id,
        "email": user.email,
        "full_name": user.full_name,
        "roles": list(user.roles),
        "active": user.active,
        "announced_at": announced_at,
    }


async def store_users(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """The one write of the users projection, for events and look-ups alike: the newest announcement of a user
    wins, so a late older event never overwrites a newer one; a looked-up row (no announcement time) never
    replaces an announced one, and any event replaces it. Customers whose collector changed name or email are
    re-announced (their snapshot shows them)."""
    rows = newest(rows, USER_KEY, "announced_at")
    if not rows:
        return
    before = {
        (row.tenant_id, row.user_id): row
        for row in await session.execute(
            select(_users.c.tenant_id, _users.c.user_id, _users.c.announced_at, *(_users.c[f] for f in SHOWN)).where(
                tuple_(_users.c.tenant_id, _users.c.user_id).in_([(r["tenant_id"], r["user_id"]) for r in rows])
            )
        )
    }
    await upsert_newest(session, _users, rows, USER_KEY, "announced_at", USER_FIELDS)
    renamed: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        old = before.get((row["tenant_id"], row["user_id"]))
        if old is None or not any(getattr(old, f) != row[f] for f in SHOWN):
            continue
        if old.announced_at is None or (row["announced_at"] is not None and old.announced_at <= row["announced_at"]):
            renamed[row["tenant_id"]].append(row["user_id"])
    for tenant_id, user_ids in renamed.items():
        await bump_and_emit_customers(session, tenant_id, "c.collector_id = ANY(:user_ids)", {"user_ids": user_ids})


async def learn_users(
    session: AsyncSession,
    gateway: TenantUsers,
    tenant_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID] = (),
    emails: Sequence[str] = (),
) -> int:
    """Ask the gateway about users the projection has not heard of and store what it answers; how many it knew."""
    found = await gateway.find(tenant_id, user_ids, emails)
    await store_users(session, [user_row(tenant_id, user, None) for user in found])
    return len(found)


async def require_user(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    field: str,
    role: str | None = None,
    *,
    gateway: TenantUsers,
) -> None:
    """The tenant's user, or a 422 naming ``field`` (an unknown id, or one without ``role``). A user the projection
    has not heard of yet (created a moment ago) is asked of the gateway, which knows only the tenant's own users."""
    query = select(_users).where(_users.c.tenant_id == tenant_id, _users.c.user_id == user_id)
    row = (await session.execute(query)).first()
    if row is None and await learn_users(session, gateway, tenant_id, [user_id]):
        row = (await session.execute(query)).first()
    if row is None:
        raise ValidationProblem.field(field, "is not a user of this tenant")
    if role is not None and role not in row.roles:
        raise ValidationProblem.field(field, f"is not a user with the {role} role")


async def require_person(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    field: str,
    kind: str | None = None,
) -> None:
    """The tenant's person, or a 422 naming ``field`` (an unknown id, or one not of ``kind``)."""
    row = (
        await session.execute(select(_people).where(_people.c.tenant_id == tenant_id, _people.c.id == person_id))
    ).first()
    if row is None:
        raise ValidationProblem.field(field, "is not a person of this tenant")
    if kind is not None and row.kind != kind:
        raise ValidationProblem.field(field, f"is not a person of kind {kind}")


async def get_person(session: AsyncSession, tenant_id: uuid.UUID, person_id: uuid.UUID) -> Person:
    person = await session.scalar(select(Person).where(Person.tenant_id == tenant_id, Person.id == person_id))
    if person is None:
        raise NotFound("Person not found")
    return person


async def list_people(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: list[Any] | None, kind: str | None, q: str | None
) -> list[PersonOut]:
    query = select(_people).where(_people.c.tenant_id == tenant_id)
    if kind:
        query = query.where(_people.c.kind == kind)
    if q:
        query = query.where(_people.c.name.ilike(f"%{q}%"))
    query = keyset(query, (_people.c.name, _people.c.id), (str, uuid.UUID), after, limit)
    return [PersonOut.model_validate(dict(row)) for row in (await session.execute(query)).mappings()]


async def list_collectors(
    session: AsyncSession, tenant_id: uuid.UUID, include_inactive: bool, *, limit: int, after: list[Any] | None
) -> list[CollectorOut]:
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
    )
    if not include_inactive:
        query = query.where(_users.c.active.is_(True))
    query = keyset(query, (_users.c.full_name, _users.c.user_id), (str, uuid.UUID), after, limit)
    return [CollectorOut.model_validate(dict(row)) for row in (await session.execute(query)).mappings()]


async def get_area(session: AsyncSession, tenant_id: uuid.UUID, area_id: uuid.UUID) -> DisputeArea:
    area = await session.scalar(
        select(DisputeArea).where(DisputeArea.tenant_id == tenant_id, DisputeArea.id == area_id)
    )
    if area is None:
        raise NotFound("Dispute area not found")
    return area


async def list_areas(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: list[Any] | None
) -> list[AreaRow]:
    query = keyset(
        select(_areas).where(_areas.c.tenant_id == tenant_id),
        (_areas.c.name, _areas.c.id),
        (str, uuid.UUID),
        after,
        limit,
    )
    return [AreaRow(**row) for row in (await session.execute(query)).mappings()]


async def people_by_id(session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, PersonOut]:
    if not ids:
        return {}
    rows = (
        await session.execute(select(_people).where(_people.c.tenant_id == tenant_id, _people.c.id.in_(ids)))
    ).mappings()
    return {row["id"]: PersonOut.model_validate(dict(row)) for row in rows}
