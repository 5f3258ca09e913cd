"""A sandbox tenant's test clock set as the gateway sets it (issue 15): the tenant row changed and announced
(``gateway.tenant_changed``) through the gateway's outbox, which the caller then delivers to the services."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.models import Tenant, outbox
from api_gateway.service import _tenant_changed
from shared.outbox import emit
from tests.support import Stack


async def announce_test_clock(stack: Stack, tenant_id: uuid.UUID, instant: datetime) -> None:
    """Make the tenant a sandbox whose clock stands at ``instant``, and announce it."""
    async with AsyncSession(stack.engine, expire_on_commit=False) as session, session.begin():
        tenant = await session.get(Tenant, tenant_id)
        assert tenant is not None
        tenant.sandbox = True
        tenant.test_clock = instant
        await emit(session, outbox, tenant.id, _tenant_changed(tenant))
