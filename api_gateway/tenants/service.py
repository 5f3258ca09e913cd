"""Tenants: created by the platform operator with their first admin, changed by their admins. Every change
announces itself (``gateway.tenant_changed``) through the outbox in the same transaction."""

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.events import tenant_changed
from api_gateway.models import Tenant, User, outbox
from api_gateway.settings import GatewaySettings
from api_gateway.tenants import repository
from api_gateway.tenants.schemas import TenantCreate, TenantUpdate, TenantWebhookSettings
from api_gateway.users.schemas import Role, UserCreate
from api_gateway.users.service import create_user
from shared.identity import SERVICE, identity_headers
from shared.outbox import emit
from shared.problems import BadGateway, Conflict, NotFound


async def create_tenant(session: AsyncSession, data: TenantCreate) -> tuple[Tenant, User]:
    if await repository.slug_taken(session, data.slug):
        raise Conflict(f"A tenant with slug {data.slug!r} already exists")
    tenant = Tenant(
        id=uuid.uuid4(),
        slug=data.slug,
        name=data.name,
        country=data.country,
        timezone=data.timezone,
        default_currency=data.default_currency,
        language=data.language,
        active=True,
        sandbox=data.sandbox,
    )
    await repository.add(session, tenant)
    admin = await create_user(
        session,
        tenant.id,
        UserCreate(
            email=data.admin.email,
            full_name=data.admin.full_name,
            password=data.admin.password,
            roles=[Role.ADMIN],
        ),
        announce_tenant=tenant,
    )
    return tenant, admin


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID, for_update: bool = False) -> Tenant:
    tenant = await repository.get(session, tenant_id, for_update)
    if tenant is None:
        raise NotFound("Tenant not found")
    return tenant


async def update_tenant(session: AsyncSession, tenant_id: uuid.UUID, data: TenantUpdate) -> Tenant:
    tenant = await get_tenant(session, tenant_id)
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(tenant, field, value)
    await session.flush()
    await emit(session, outbox, tenant.id, tenant_changed(tenant))
    return tenant


async def set_webhook_settings(
    session: AsyncSession,
    client: httpx.AsyncClient,
    settings: GatewaySettings,
    tenant_id: uuid.UUID,
    data: TenantWebhookSettings,
) -> TenantWebhookSettings:
    """Tell the webhooks service (which keeps them) what the operator decided for the tenant."""
    await get_tenant(session, tenant_id)  # 404 for an unknown tenant
    response = await client.put(
        settings.service_url("webhooks").rstrip("/") + "/internal/webhook-settings/private-urls",
        json=data.model_dump(),
        headers=identity_headers(settings.internal_secret, tenant_id, "service:gateway", [SERVICE]),
    )
    if response.status_code != 200:
        raise BadGateway(f"The webhooks service answered {response.status_code}", service="webhooks")
    return TenantWebhookSettings(allow_private_urls=response.json()["allow_private_urls"])
