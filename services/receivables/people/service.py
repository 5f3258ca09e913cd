"""Advisors, supervisors and staff profiles; dispute areas. A change to a person re-announces the customers
whose snapshot names that person (messages carry the advisor's and supervisor's phone, seed 002)."""

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import bump_and_emit_customers
from services.receivables.models import DisputeArea, Person
from services.receivables.people import repository
from services.receivables.people.repository import name_key, require_person, require_user
from services.receivables.people.schemas import (
    DisputeAreaCreate,
    DisputeAreaUpdate,
    PersonCreate,
    PersonKind,
    PersonUpdate,
)
from shared.problems import Conflict, ValidationProblem
from shared.tenant_users import TenantUsers

# Customers whose snapshot shows the person: as advisor, as the advisor's supervisor, or as collector (staff).
CUSTOMERS_OF_PERSON = (
    "c.advisor_id = :person_id OR c.advisor_id IN (SELECT p.id FROM receivables.people p "
    "WHERE p.tenant_id = :tenant_id AND p.supervisor_id = :person_id) "
    "OR c.collector_id = ANY(CAST(:user_ids AS uuid[]))"
)


async def _check_links(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, values: dict[str, Any], gateway: TenantUsers
) -> None:
    if values.get("supervisor_id") is not None:
        if kind not in (PersonKind.ADVISOR, PersonKind.STAFF):
            raise ValidationProblem.field("supervisor_id", "only an advisor or a staff profile has a supervisor")
        await require_person(session, tenant_id, values["supervisor_id"], "supervisor_id", PersonKind.SUPERVISOR)
    if values.get("user_id") is not None:
        await require_user(session, tenant_id, values["user_id"], "user_id", gateway=gateway)


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        detail = str(exc.orig)
        if "user_id" in detail:
            raise Conflict("That user already has a person profile") from None
        if "external_id" in detail:
            raise Conflict("A person with this external_id already exists") from None
        raise Conflict("A person of this kind with this name already exists") from None


async def create_person(
    session: AsyncSession, tenant_id: uuid.UUID, data: PersonCreate, gateway: TenantUsers
) -> Person:
    values = data.model_dump(exclude_unset=True)
    await _check_links(session, tenant_id, data.kind, values, gateway)
    values["active"] = values.get("active") if values.get("active") is not None else True
    person = Person(id=uuid.uuid4(), tenant_id=tenant_id, name_key=name_key(data.name), **values)
    session.add(person)
    await _flush(session)
    await session.refresh(person)
    if person.user_id is not None:
        await _announce(session, tenant_id, person)
    return person


async def update_person(
    session: AsyncSession, tenant_id: uuid.UUID, person_id: uuid.UUID, data: PersonUpdate, gateway: TenantUsers
) -> Person:
    person = await repository.get_person(session, tenant_id, person_id)
    values = data.model_dump(exclude_unset=True)
    if values.get("supervisor_id") == person.id:
        raise ValidationProblem.field("supervisor_id", "a person cannot supervise itself")
    await _check_links(session, tenant_id, person.kind, values, gateway)
    for field in ("name", "active"):
        if field in values and values[field] is None:
            values.pop(field)
    previous_user = person.user_id
    for field, value in values.items():
        setattr(person, field, value)
    if "name" in values:
        person.name_key = name_key(person.name)
    await _flush(session)
    await session.refresh(person)
    await _announce(session, tenant_id, person, previous_user)
    return person


async def _announce(
    session: AsyncSession, tenant_id: uuid.UUID, person: Person, other_user: uuid.UUID | None = None
) -> None:
    user_ids = [u for u in (person.user_id, other_user) if u is not None]
    await bump_and_emit_customers(
        session, tenant_id, CUSTOMERS_OF_PERSON, {"person_id": person.id, "user_ids": user_ids}
    )


async def create_area(session: AsyncSession, tenant_id: uuid.UUID, data: DisputeAreaCreate) -> DisputeArea:
    if data.responsible_id is not None:
        await require_person(session, tenant_id, data.responsible_id, "responsible_id")
    area = DisputeArea(id=uuid.uuid4(), tenant_id=tenant_id, name=data.name.strip(), responsible_id=data.responsible_id)
    session.add(area)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"A dispute area named {data.name!r} already exists") from None
    await session.refresh(area)
    return area


async def update_area(
    session: AsyncSession, tenant_id: uuid.UUID, area_id: uuid.UUID, data: DisputeAreaUpdate
) -> DisputeArea:
    area = await repository.get_area(session, tenant_id, area_id)
    values = data.model_dump(exclude_unset=True)
    if values.get("responsible_id") is not None:
        await require_person(session, tenant_id, values["responsible_id"], "responsible_id")
    for field, value in values.items():
        if value is None and field != "responsible_id":
            continue
        setattr(area, field, value.strip() if isinstance(value, str) else value)
    name = area.name  # read before the flush: after a failed one the object can no longer be read
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"A dispute area named {name!r} already exists") from None
    await session.refresh(area)
    return area
