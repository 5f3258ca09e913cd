"""The count a test clock's day waits on: a tenant's messages still in flight by its clock."""

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Messages being sent, or waiting although their moment has come by the tenant's clock. Those deferred to a later
# moment are not in flight: a later day releases them.
_DUE = text(
    """
SELECT count(*) FROM messaging.messages
 WHERE tenant_id = :tenant_id
   AND (state = 'sending' OR (state IN ('queued', 'deferred') AND scheduled_at <= :now))
"""
)


async def in_flight(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> int:
    return int((await session.execute(_DUE, {"tenant_id": tenant_id, "now": now})).scalar_one())
