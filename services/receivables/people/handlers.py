"""Receivables learns the tenant's people from the gateway's events."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.people.repository import store_users, user_row
from shared.contracts.gateway import UserChanged
from shared.inbox import Received


async def on_user_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[UserChanged]]) -> None:
    await store_users(session, [user_row(r.tenant_id, r.message, r.envelope.occurred_at) for r in batch])
