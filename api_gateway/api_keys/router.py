"""``/v1/api-keys``: keys for the tenant's integrations."""

import uuid
from typing import Any

from fastapi import APIRouter, Request, status

from api_gateway.api_keys import service
from api_gateway.api_keys.auth import ApiKeyRead, ApiKeyWrite
from api_gateway.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from api_gateway.identity.principal import committed_identity_change
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"], responses=problem_responses(401, 403, 404, 422))


@router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
async def create_api_key(
    request: Request, principal: ApiKeyWrite, data: ApiKeyCreate, session: SessionDep
) -> ApiKeyCreated:
    """A key for an integration (ERP). The secret is in the answer only this once. A key carries only roles its
    creator holds now (and `integration`, which admins grant); it answers with no more than its creator may grant
    at the time of each request, and stops working when its creator is deactivated."""
    default_limit = request.app.state.settings.default_rate_limit_per_minute
    api_key, secret = await service.create_api_key(session, principal, data, default_limit)
    return ApiKeyCreated(**ApiKeyOut.model_validate(api_key).model_dump(), key=secret)


@router.get("", response_model=Page[ApiKeyOut])
async def list_api_keys(principal: ApiKeyRead, session: SessionDep, params: PageDep) -> dict[str, Any]:
    """The tenant's keys, without their secrets, oldest first."""
    keys = await service.list_api_keys(session, principal.tenant_id, params.limit, params.cursor)
    return make_page(keys, params.limit, key=lambda k: [k.created_at, k.id], item=ApiKeyOut.model_validate)


@router.delete("/{key_id}", response_model=ApiKeyOut)
async def revoke_api_key(request: Request, principal: ApiKeyWrite, key_id: uuid.UUID, session: SessionDep) -> ApiKeyOut:
    """Revoke a key: refused by every gateway from its next request on."""
    api_key = await service.revoke_api_key(session, principal.tenant_id, key_id)
    await committed_identity_change(request, session)
    return ApiKeyOut.model_validate(api_key)
