"""The tenant's settings row: what messaging knows of the tenant (the gateway's and dunning's facts) and its own
messaging settings. Every package reads it here."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.models import TenantSettings


async def load(session: AsyncSession, tenant_id: uuid.UUID, for_update: bool = False) -> TenantSettings | None:
    return await session.get(TenantSettings, tenant_id, with_for_update=for_update)
