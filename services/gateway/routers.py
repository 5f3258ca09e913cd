"""The gateway's own public routes: tokens, the tenant, its users and API keys."""

import hmac
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Header, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import refresh, service
from services.gateway.auth import CurrentPrincipal, Principal, grantable, require
from services.gateway.login_alarm import login_failed
from services.gateway.login_throttle import LoginSubject, LoginThrottle, client_address
from services.gateway.models import User
from services.gateway.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    MeOut,
    RevokeRequest,
    TenantCreate,
    TenantCreated,
    TenantOut,
    TenantUpdate,
    TenantWebhookSettings,
    TokenOut,
    TokenRequest,
    UserCreate,
    UserOut,
    UserUpdate,
)
from services.gateway.security import issue_access_token
from services.gateway.settings import GatewaySettings
from shared.db import SessionDep
from shared.identity import ADMIN, MANAGER, SERVICE, SUPERVISOR, identity_headers
from shared.pagination import Page, PageDep, make_page
from shared.problems import BadGateway, Forbidden, Unauthorized, ValidationProblem, answers, problem_responses

auth_router = APIRouter(prefix="/v1/auth", tags=["auth"])
tenants_router = APIRouter(prefix="/v1", tags=["tenants"])
users_router = APIRouter(prefix="/v1/users", tags=["users"], responses=problem_responses(401, 403, 404, 422))
keys_router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"], responses=problem_responses(401, 403, 404, 422))

AdminOnly = Annotated[Principal, require(ADMIN)]
PeopleReaders = Annotated[Principal, require(ADMIN, MANAGER, SUPERVISOR)]


@auth_router.post(
    "/token", response_model=TokenOut, responses=problem_responses(401, 422, 429), openapi_extra={"security": []}
)
async def issue_token(request: Request, session: SessionDep, form: Annotated[TokenRequest, Form()]) -> TokenOut:
    """OAuth2 token endpoint: a short-lived access token and a refresh token for a person of a tenant.

    Password grant (`tenant`, `username`, `password`): failed logins are throttled per account and per address:
    after a few, the next attempts wait (429 with `Retry-After`, the right password included), twice as long after
    each further failure, up to 15 minutes; after many, the tenant's admins are alerted by email.

    Refresh grant (`refresh_token`): the token is spent and the answer carries the next one. Using a spent token
    again revokes every token of that login (401); so does the user's password change or deactivation."""
    settings = request.app.state.settings
    if form.grant_type == "refresh_token":
        if not form.refresh_token:
            raise ValidationProblem.field("refresh_token", "is required for grant_type=refresh_token")
        user, next_token = await refresh.rotate(session, form.refresh_token, settings.refresh_token_ttl_seconds)
        return _token_answer(settings, user, next_token)
    if not form.username:
        raise ValidationProblem.field("username", "is required for grant_type=password")
    if not form.password:
        raise ValidationProblem.field("password", "is required for grant_type=password")
    slug = form.tenant or form.client_id
    if not slug:
        raise Unauthorized("Say which tenant you log in to (`tenant`)")
    throttle = LoginThrottle(request.app.state.redis, settings)
    address = client_address(request, settings.trust_forwarded_for)
    subject = LoginSubject.of(slug, form.username, address)
    attempts = await throttle.attempt(subject)
    try:
        user = await service.authenticate_user(session, slug, form.username, form.password)
    except Unauthorized:
        engine = request.app.state.engine
        await login_failed(engine, throttle, subject, slug, form.username, address, attempts)
        raise
    await throttle.succeeded(subject)
    return _token_answer(settings, user, await refresh.issue(session, user, settings.refresh_token_ttl_seconds))


def _token_answer(settings: GatewaySettings, user: User, refresh_token: str) -> TokenOut:
    token = issue_access_token(
        settings.jwt_secret, settings.jwt_issuer, settings.jwt_ttl_seconds, user.id, user.tenant_id, user.roles
    )
    return TokenOut(
        access_token=token,
        expires_in=settings.jwt_ttl_seconds,
        refresh_token=refresh_token,
        refresh_expires_in=settings.refresh_token_ttl_seconds,
    )


@auth_router.post(
    "/revoke",
    response_class=Response,
    responses={200: {"description": "Revoked, or not a token this gateway knows"}, **problem_responses(422)},
    openapi_extra={"security": []},
)
async def revoke_token(session: SessionDep, form: Annotated[RevokeRequest, Form()]) -> Response:
    """Log out (RFC 7009): revoke the refresh token and every token of its login. Answers 200 for any token, known
    or not. Access tokens are not stored: they expire on their own within minutes."""
    await refresh.revoke(session, form.token)
    return Response(status_code=status.HTTP_200_OK)


@auth_router.get("/me", response_model=MeOut, responses=problem_responses(401))
async def who_am_i(principal: CurrentPrincipal) -> MeOut:
    """The identity the gateway forwards for this credential."""
    return MeOut(tenant_id=principal.tenant_id, actor=principal.actor, roles=sorted(principal.roles))


@answers(401)
async def platform_operator(
    request: Request,
    x_operator_token: Annotated[str | None, Header(description="The platform operator's token")] = None,
) -> None:
    """The platform operator, who holds no tenant's credentials and so none of a tenant's roles."""
    if not x_operator_token or not hmac.compare_digest(x_operator_token, request.app.state.settings.operator_token):
        raise Unauthorized("Creating tenants needs the operator token (X-Operator-Token)")


platform_operator.admitted_roles = frozenset()  # type: ignore[attr-defined]
platform_operator.access = "none of a tenant's: the platform operator's token (`X-Operator-Token`)"  # type: ignore[attr-defined]
OperatorOnly = Annotated[None, Depends(platform_operator)]


@tenants_router.post(
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


@tenants_router.put(
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
    x_operator_token: Annotated[str | None, Header(description="The platform operator's token")] = None,
) -> TenantWebhookSettings:
    """Allow a tenant webhook endpoints on private or loopback addresses (platform operators only: it opens the
    operator's own network to the tenant's URLs; development and demo set-ups need it for local receivers)."""
    if not x_operator_token or not hmac.compare_digest(x_operator_token, request.app.state.settings.operator_token):
        raise Unauthorized("Changing a tenant's webhook settings needs the operator token (X-Operator-Token)")
    await service.get_tenant(session, tenant_id)  # 404 for an unknown tenant
    settings: GatewaySettings = request.app.state.settings
    response = await request.app.state.upstream.client.put(
        settings.service_url("webhooks").rstrip("/") + "/internal/webhook-settings/private-urls",
        json=data.model_dump(),
        headers=identity_headers(settings.internal_secret, tenant_id, "service:gateway", [SERVICE]),
    )
    if response.status_code != 200:
        raise BadGateway(f"The webhooks service answered {response.status_code}", service="webhooks")
    return TenantWebhookSettings(allow_private_urls=response.json()["allow_private_urls"])


@tenants_router.get("/tenant", response_model=TenantOut, responses=problem_responses(401))
async def get_current_tenant(principal: CurrentPrincipal, session: SessionDep) -> TenantOut:
    """The caller's tenant."""
    return TenantOut.model_validate(await service.get_tenant(session, principal.tenant_id))


@tenants_router.patch("/tenant", response_model=TenantOut, responses=problem_responses(401, 403, 422))
async def update_current_tenant(
    request: Request, principal: AdminOnly, data: TenantUpdate, session: SessionDep
) -> TenantOut:
    """Change the tenant's name, country, time zone, currency or language (admins)."""
    tenant = await service.update_tenant(session, principal.tenant_id, data)
    await _committed_identity_change(request, session)
    return TenantOut.model_validate(tenant)


async def _committed_identity_change(request: Request, session: AsyncSession) -> None:
    """Commit now (not at the edge) so no gateway can reload the old state after being told of the change."""
    await session.commit()
    await request.app.state.authenticator.changed()


@users_router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED)
async def create_user(principal: AdminOnly, data: UserCreate, session: SessionDep) -> UserOut:
    """Add a person (collector, supervisor, manager, admin) to the tenant."""
    return UserOut.model_validate(await service.create_user(session, principal.tenant_id, data))


@users_router.get("", response_model=Page[UserOut])
async def list_users(
    principal: PeopleReaders,
    session: SessionDep,
    params: PageDep,
    role: str | None = None,
) -> dict:
    """The tenant's people, by email; filter by `role`."""
    users = await service.list_users(session, principal.tenant_id, params.limit, params.cursor, role)
    return make_page(users, params.limit, key=lambda u: [u.email], item=UserOut.model_validate)


@users_router.get("/{user_id}", response_model=UserOut)
async def get_user(principal: PeopleReaders, user_id: uuid.UUID, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, principal.tenant_id, user_id))


@users_router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    request: Request, principal: AdminOnly, user_id: uuid.UUID, data: UserUpdate, session: SessionDep
) -> UserOut:
    """Change a person's name, roles, password, or deactivate them: every gateway applies it on its next request.
    Not one's own active state or admin role (422): another admin changes those."""
    if user_id == principal.user_id and (refusal := service.own_lockout(data)) is not None:
        raise refusal
    user = await service.update_user(session, principal.tenant_id, user_id, data)
    await _committed_identity_change(request, session)
    return UserOut.model_validate(user)


@keys_router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
async def create_api_key(
    request: Request, principal: AdminOnly, data: ApiKeyCreate, session: SessionDep
) -> ApiKeyCreated:
    """A key for an integration (ERP). The secret is in the answer only this once. A key carries only roles its
    creator holds now (and `integration`, which admins grant); it answers with no more than its creator may grant
    at the time of each request, and stops working when its creator is deactivated."""
    beyond = {str(r) for r in data.roles} - grantable(principal.roles)
    if beyond:
        raise Forbidden(f"You cannot give a key roles you do not hold: {', '.join(sorted(beyond))}")
    api_key, secret = await service.create_api_key(
        session,
        principal.tenant_id,
        data,
        principal.actor,
        request.app.state.settings.default_rate_limit_per_minute,
    )
    return ApiKeyCreated(**ApiKeyOut.model_validate(api_key).model_dump(), key=secret)


@keys_router.get("", response_model=Page[ApiKeyOut])
async def list_api_keys(principal: AdminOnly, session: SessionDep, params: PageDep) -> dict:
    """The tenant's keys, without their secrets, oldest first."""
    keys = await service.list_api_keys(session, principal.tenant_id, params.limit, params.cursor)
    return make_page(keys, params.limit, key=lambda k: [k.created_at, k.id], item=ApiKeyOut.model_validate)


@keys_router.delete("/{key_id}", response_model=ApiKeyOut)
async def revoke_api_key(request: Request, principal: AdminOnly, key_id: uuid.UUID, session: SessionDep) -> ApiKeyOut:
    """Revoke a key: refused by every gateway from its next request on."""
    api_key = await service.revoke_api_key(session, principal.tenant_id, key_id)
    await _committed_identity_change(request, session)
    return ApiKeyOut.model_validate(api_key)
