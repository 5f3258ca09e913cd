"""``/v1/webhook-settings``: the tenant's webhook settings; ``/internal/webhook-settings``: what only the platform
operator sets (through the gateway)."""

from fastapi import APIRouter

from services.webhooks.tenant_settings import repository, service
from services.webhooks.tenant_settings.auth import ServiceCall, SettingsRead, SettingsWrite
from services.webhooks.tenant_settings.schemas import PrivateUrlsSetting, WebhookSettingsOut, WebhookSettingsUpdate
from shared.db import SessionDep
from shared.problems import problem_responses

settings_router = APIRouter(
    prefix="/v1/webhook-settings", tags=["webhooks"], responses=problem_responses(401, 403, 422)
)
internal_router = APIRouter(prefix="/internal/webhook-settings", include_in_schema=False)


@settings_router.get("", response_model=WebhookSettingsOut)
async def get_webhook_settings(identity: SettingsRead, session: SessionDep) -> WebhookSettingsOut:
    """The tenant's webhook settings (admins, integrations)."""
    return await service.current(session, identity.tenant_id)


@settings_router.patch("", response_model=WebhookSettingsOut)
async def update_webhook_settings(
    identity: SettingsWrite, data: WebhookSettingsUpdate, session: SessionDep
) -> WebhookSettingsOut:
    """How many days without a successful delivery disable an endpoint (admins)."""
    return await repository.upsert_settings(session, identity.tenant_id, disable_after_days=data.disable_after_days)


@internal_router.put("/private-urls", response_model=WebhookSettingsOut)
async def set_private_urls(identity: ServiceCall, data: PrivateUrlsSetting, session: SessionDep) -> WebhookSettingsOut:
    """Allow (or forbid) the tenant endpoints on private addresses: the gateway's operator route calls it."""
    return await repository.upsert_settings(session, identity.tenant_id, allow_private_urls=data.allow_private_urls)
