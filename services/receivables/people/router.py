import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from services.receivables.models import DisputeArea
from services.receivables.people import repository, service
from services.receivables.people.auth import PeopleRead, PeopleWrite
from services.receivables.people.schemas import (
    CollectorOut,
    DisputeAreaCreate,
    DisputeAreaOut,
    DisputeAreaUpdate,
    PersonCreate,
    PersonKind,
    PersonOut,
    PersonUpdate,
)
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import problem_responses
from shared.tenant_users import TenantUsersDep

router = APIRouter(prefix="/v1/people", tags=["people"], responses=problem_responses(401, 403, 422))
areas_router = APIRouter(prefix="/v1/dispute-areas", tags=["dispute-areas"], responses=problem_responses(401, 403, 422))


@router.get("/collectors", response_model=Page[CollectorOut])
async def list_collectors(
    identity: PeopleRead,
    session: SessionDep,
    params: PageDep,
    include_inactive: Annotated[bool, Query(description="Also collectors whose user is deactivated")] = False,
) -> dict[str, Any]:
    """Collectors by name: the tenant's users with the collector role, with phone/WhatsApp and their customer
    count."""
    rows = await repository.list_collectors(
        session, identity.tenant_id, include_inactive, limit=params.limit, after=params.cursor
    )
    return make_page(rows, params.limit, key=lambda r: [r.name, r.user_id])


@router.post("", response_model=PersonOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 503))
async def create_person(
    identity: PeopleWrite, data: PersonCreate, session: SessionDep, gateway: TenantUsersDep
) -> PersonOut:
    """Add a business advisor, a supervisor (seed 002), or the phone/WhatsApp profile of a user (kind staff)."""
    return PersonOut.model_validate(await service.create_person(session, identity.tenant_id, data, gateway))


@router.get("", response_model=Page[PersonOut])
async def list_people(
    identity: PeopleRead,
    session: SessionDep,
    page: PageDep,
    kind: PersonKind | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Search in the name")] = None,
) -> dict[str, Any]:
    """Advisors, supervisors and staff profiles, by name."""
    rows = await repository.list_people(
        session, identity.tenant_id, limit=page.limit, after=page.cursor, kind=kind, q=q
    )
    return make_page(rows, page.limit, key=lambda r: [r.name, r.id])


@router.get("/{person_id}", response_model=PersonOut, responses=problem_responses(404))
async def get_person(identity: PeopleRead, person_id: uuid.UUID, session: SessionDep) -> PersonOut:
    return PersonOut.model_validate(await repository.get_person(session, identity.tenant_id, person_id))


@router.patch("/{person_id}", response_model=PersonOut, responses=problem_responses(404, 409, 503))
async def update_person(
    identity: PeopleWrite, person_id: uuid.UUID, data: PersonUpdate, session: SessionDep, gateway: TenantUsersDep
) -> PersonOut:
    """Change a person; the customers whose messages show this person are re-announced."""
    return PersonOut.model_validate(await service.update_person(session, identity.tenant_id, person_id, data, gateway))


async def area_out(session: SessionDep, tenant_id: uuid.UUID, area: DisputeArea) -> DisputeAreaOut:
    responsible = None
    if area.responsible_id is not None:
        responsible = PersonOut.model_validate(await repository.get_person(session, tenant_id, area.responsible_id))
    return DisputeAreaOut(
        id=area.id,
        name=area.name,
        responsible_id=area.responsible_id,
        responsible=responsible,
        active=area.active,
        created_at=area.created_at,
        updated_at=area.updated_at,
    )


@areas_router.post(
    "", response_model=DisputeAreaOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(409)
)
async def create_dispute_area(identity: PeopleWrite, data: DisputeAreaCreate, session: SessionDep) -> DisputeAreaOut:
    """An area that resolves disputes (seed 000: "indicar cuál es el área responsable") and its responsible."""
    area = await service.create_area(session, identity.tenant_id, data)
    return await area_out(session, identity.tenant_id, area)


@areas_router.get("", response_model=Page[DisputeAreaOut])
async def list_dispute_areas(identity: PeopleRead, session: SessionDep, params: PageDep) -> dict[str, Any]:
    """The tenant's dispute areas by name."""
    rows = await repository.list_areas(session, identity.tenant_id, limit=params.limit, after=params.cursor)
    responsible_ids = [r.responsible_id for r in rows if r.responsible_id]
    people = await repository.people_by_id(session, identity.tenant_id, responsible_ids)
    return make_page(
        rows,
        params.limit,
        key=lambda r: [r.name, r.id],
        item=lambda r: DisputeAreaOut(
            id=r.id,
            name=r.name,
            responsible_id=r.responsible_id,
            responsible=people[r.responsible_id] if r.responsible_id else None,
            active=r.active,
            created_at=r.created_at,
            updated_at=r.updated_at,
        ),
    )


@areas_router.get("/{area_id}", response_model=DisputeAreaOut, responses=problem_responses(404))
async def get_dispute_area(identity: PeopleRead, area_id: uuid.UUID, session: SessionDep) -> DisputeAreaOut:
    area = await repository.get_area(session, identity.tenant_id, area_id)
    return await area_out(session, identity.tenant_id, area)


@areas_router.patch("/{area_id}", response_model=DisputeAreaOut, responses=problem_responses(404, 409))
async def update_dispute_area(
    identity: PeopleWrite, area_id: uuid.UUID, data: DisputeAreaUpdate, session: SessionDep
) -> DisputeAreaOut:
    area = await service.update_area(session, identity.tenant_id, area_id, data)
    return await area_out(session, identity.tenant_id, area)
