"""``/v1/users``: the people of the caller's tenant and their roles."""

import uuid
from typing import Any

from fastapi import APIRouter, Request, status

from api_gateway.identity.principal import committed_identity_change
from api_gateway.users import service
from api_gateway.users.auth import UserRead, UserWrite
from api_gateway.users.schemas import UserCreate, UserOut, UserUpdate
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/users", tags=["users"], responses=problem_responses(401, 403, 404, 422))


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED)
async def create_user(principal: UserWrite, data: UserCreate, session: SessionDep) -> UserOut:
    """Add a person (collector, supervisor, manager, admin) to the tenant."""
    return UserOut.model_validate(await service.create_user(session, principal.tenant_id, data))


@router.get("", response_model=Page[UserOut])
async def list_users(
    principal: UserRead,
    session: SessionDep,
    params: PageDep,
    role: str | None = None,
) -> dict[str, Any]:
    """The tenant's people, by email; filter by `role`."""
    users = await service.list_users(session, principal.tenant_id, params.limit, params.cursor, role)
    return make_page(users, params.limit, key=lambda u: [u.email], item=UserOut.model_validate)


@router.get("/{user_id}", response_model=UserOut)
async def get_user(principal: UserRead, user_id: uuid.UUID, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, principal.tenant_id, user_id))


@router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    request: Request, principal: UserWrite, user_id: uuid.UUID, data: UserUpdate, session: SessionDep
) -> UserOut:
    """Change a person's name, roles, password, or deactivate them: every gateway applies it on its next request.
    Not one's own active state or admin role (422): another admin changes those."""
    if user_id == principal.user_id:
        service.check_own_change(data)
    user = await service.update_user(session, principal.tenant_id, user_id, data)
    await committed_identity_change(request, session)
    return UserOut.model_validate(user)
