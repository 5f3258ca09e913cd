"""Receivables keeps the tenant's profile (country for holidays, timezone for "today") from the gateway."""

from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import Tenant
from shared.contracts.gateway import TenantChanged
from shared.inbox import Received

PROFILE = ("slug", "name", "country", "timezone", "default_currency", "language", "active", "sandbox", "test_clock")


async def on_tenant_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantChanged]]) -> None:
    rows = {
        r.message.tenant_id: {"tenant_id": r.message.tenant_id, **{f: getattr(r.message, f) for f in PROFILE}}
        for r in batch  # the last event of a tenant in the batch wins
    }
    statement = insert(Tenant).values(list(rows.values()))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={**{f: statement.excluded[f] for f in PROFILE}, "updated_at": func.now()},
        )
    )
