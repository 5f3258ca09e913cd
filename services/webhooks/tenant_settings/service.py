"""The tenant's webhook settings: the defaults until one is set."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.tenant_settings import repository
from services.webhooks.tenant_settings.schemas import WebhookSettingsOut

DEFAULT_DISABLE_AFTER_DAYS = 5
DEFAULTS = WebhookSettingsOut(allow_private_urls=False, disable_after_days=DEFAULT_DISABLE_AFTER_DAYS)


async def current(session: AsyncSession, tenant_id: uuid.UUID) -> WebhookSettingsOut:
    return await repository.load_settings(session, tenant_id) or DEFAULTS
