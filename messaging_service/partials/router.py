"""The tenant's template partials: under `/v1/templates/partials`, beside the templates that include them."""

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from messaging_service.partials import service
from messaging_service.partials.schemas import PartialCreate, PartialOut, PartialUpdate
from messaging_service.templates.auth import TemplateRead, TemplateWrite
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/templates/partials", tags=["templates"], responses=problem_responses(401, 403, 422))


@router.post("", response_model=PartialOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 429))
async def create_partial(identity: TemplateWrite, data: PartialCreate, session: SessionDep) -> PartialOut:
    """A piece the tenant's templates include or import by its name; the only thing they may include."""
    return PartialOut.model_validate(await service.create(session, identity.tenant_id, data))


@router.get("", response_model=Page[PartialOut])
async def list_partials(identity: TemplateRead, session: SessionDep, page: PageDep) -> dict[str, Any]:
    """The tenant's partials, by name."""
    rows = await service.list_partials(session, identity.tenant_id, limit=page.limit, after=page.cursor)
    return make_page(rows, page.limit, key=lambda p: [p.name], item=PartialOut.model_validate)


@router.get("/{partial_id}", response_model=PartialOut, responses=problem_responses(404))
async def get_partial(identity: TemplateRead, partial_id: uuid.UUID, session: SessionDep) -> PartialOut:
    return PartialOut.model_validate(await service.get(session, identity.tenant_id, partial_id))


@router.patch("/{partial_id}", response_model=PartialOut, responses=problem_responses(404, 429))
async def update_partial(
    identity: TemplateWrite, partial_id: uuid.UUID, data: PartialUpdate, session: SessionDep
) -> PartialOut:
    """Change a partial: refused (422 naming the template) when a template using it would no longer render."""
    return PartialOut.model_validate(await service.update(session, identity.tenant_id, partial_id, data))


@router.delete("/{partial_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404, 409))
async def delete_partial(identity: TemplateWrite, partial_id: uuid.UUID, session: SessionDep) -> Response:
    """Remove a partial no template or partial uses (409 naming them otherwise)."""
    await service.delete(session, identity.tenant_id, partial_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
