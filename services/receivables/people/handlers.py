"""Receivables learns the tenant's people from the gateway's events."""

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import TenantUser
from shared.contracts.gateway import UserChanged
from shared.inbox import Received


async def on_user_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[UserChanged]]) -> None:
    rows = {
        (r.tenant_id, r.message.user_id): {
            "tenant_id": r.tenant_id,
            "user_id": r.message.user_id,
            "email": r.message.email,
            "full_name": r.message.full_name,
            "roles": r.message.roles,
            "active": r.message.active,
        }
        for r in batch  # the last event of a user in the batch wins
    }
    statement = insert(TenantUser).values(list(rows.values()))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "user_id"],
            set_={c: statement.excluded[c] for c in ("email", "full_name", "roles", "active")},
        )
    )
