"""``/v1/tenants`` (the platform operator's) and ``/v1/tenant`` (the caller's own)."""

import uuid

from fastapi import APIRouter, Request, status

from api_gateway.identity.principal import committed_identity_change
from api_gateway.tenants import service
from api_gateway.tenants.auth import OperatorOnly, OperatorTokenHeader, TenantRead, TenantWrite, is_operator
from api_gateway.tenants.schemas import TenantCreate, TenantCreated, TenantOut, TenantUpdate, TenantWebhookSettings
from api_gateway.users.schemas import UserOut
from shared.db import SessionDep
from shared.problems import Unauthorized, problem_responses

router = APIRouter(prefix="/v1", tags=["tenants"])


@router.post(
    "/tenants",
    response_model=TenantCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 409, 422),
    openapi_extra={"security": []},
)
async def create_tenant(data: TenantCreate, session: SessionDep, _: OperatorOnly) -> TenantCreated:
    """Create a tenant and its first admin user (platform operators only)."""
    tenant, admin = await service.create_tenant(session, data)
    return TenantCreated(tenant=TenantOut.model_validate(tenant), admin=UserOut.model_validate(admin))


@router.put(
    "/tenants/{tenant_id}/webhook-settings",
    response_model=TenantWebhookSettings,
    responses=problem_responses(401, 404, 422, 502),
    openapi_extra={"security": []},
)
async def set_tenant_webhook_settings(
    request: Request,
    tenant_id: uuid.UUID,
    data: TenantWebhookSettings,
    session: SessionDep,
    x_operator_token: OperatorTokenHeader = None,
) -> TenantWebhookSettings:
    """Allow a tenant webhook endpoints on private or loopback addresses (platform operators only: it opens the
    operator's own network to the tenant's URLs; development and demo set-ups need it for local receivers)."""
    # Checked here, not as a dependency: a body that does not validate answers 422 before the token is looked at.
    settings = request.app.state.settings
    if not is_operator(settings, x_operator_token):
        raise Unauthorized("Changing a tenant's webhook settings needs the operator token (X-Operator-Token)")
    return await service.set_webhook_settings(session, request.app.state.upstream.client, settings, tenant_id, data)


@router.get("/tenant", response_model=TenantOut, responses=problem_responses(401))
async def get_current_tenant(principal: TenantRead, session: SessionDep) -> TenantOut:
    """The caller's tenant."""
    return TenantOut.model_validate(await service.get_tenant(session, principal.tenant_id))


@router.patch("/tenant", response_model=TenantOut, responses=problem_responses(401, 403, 422))
async def update_current_tenant(
    request: Request, principal: TenantWrite, data: TenantUpdate, session: SessionDep
) -> TenantOut:
    """Change the tenant's name, country, time zone, currency or language (admins)."""
    tenant = await service.update_tenant(session, principal.tenant_id, data)
    await committed_identity_change(request, session)
    return TenantOut.model_validate(tenant)
