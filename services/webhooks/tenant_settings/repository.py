"""The tenant's webhook settings (a row only once one was set)."""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.models import TenantSettings
from services.webhooks.tenant_settings.schemas import WebhookSettingsOut

_settings = TenantSettings.__table__


async def load_settings(session: AsyncSession, tenant_id: uuid.UUID) -> WebhookSettingsOut | None:
    row = (await session.execute(select(_settings).where(_settings.c.tenant_id == tenant_id))).mappings().first()
    return WebhookSettingsOut.model_validate(dict(row)) if row is not None else None


async def upsert_settings(session: AsyncSession, tenant_id: uuid.UUID, **values: Any) -> WebhookSettingsOut:
    statement = insert(_settings).values(tenant_id=tenant_id, **values)
    upsert = statement.on_conflict_do_update(
        index_elements=["tenant_id"], set_={**values, "updated_at": func.now()}
    ).returning(_settings)
    return WebhookSettingsOut.model_validate(dict((await session.execute(upsert)).mappings().one()))
