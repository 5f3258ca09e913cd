"""The tenant's portal settings (a row only once one was set)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.models import TenantSettings
from services.portal.tenant_settings.schemas import PortalSettingsOut

_settings = TenantSettings.__table__


async def load_settings(session: AsyncSession, tenant_id: uuid.UUID) -> PortalSettingsOut | None:
    row = (await session.execute(select(_settings).where(_settings.c.tenant_id == tenant_id))).mappings().first()
    return PortalSettingsOut.model_validate(dict(row)) if row is not None else None


async def upsert_settings(session: AsyncSession, tenant_id: uuid.UUID, **values: Any) -> PortalSettingsOut:
    statement = insert(_settings).values(tenant_id=tenant_id, **values)
    upsert = statement.on_conflict_do_update(
        index_elements=["tenant_id"], set_={**values, "updated_at": func.now()}
    ).returning(_settings)
    return PortalSettingsOut.model_validate(dict((await session.execute(upsert)).mappings().one()))


async def revoke_all(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> PortalSettingsOut:
    return await upsert_settings(session, tenant_id, links_revoked_before=now)
