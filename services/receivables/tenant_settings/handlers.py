"""Receivables keeps the tenant's profile (country for holidays, timezone for "today") from the gateway."""

from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import Tenant
from shared.contracts.gateway import TenantChanged
from shared.inbox import Received
from shared.projection import newest

PROFILE = ("slug", "name", "country", "timezone", "default_currency", "language", "active", "sandbox", "test_clock")


async def on_tenant_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantChanged]]) -> None:
    """The newest announcement of each tenant wins, in the batch and against the row (a test clock moves often: a
    late older announcement must not move it back)."""
    rows = newest(
        [
            {
                "tenant_id": r.message.tenant_id,
                **{f: getattr(r.message, f) for f in PROFILE},
                "announced_at": r.envelope.occurred_at,
            }
            for r in batch
        ],
        ("tenant_id",),
        "announced_at",
    )
    statement = insert(Tenant).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={**{f: statement.excluded[f] for f in (*PROFILE, "announced_at")}, "updated_at": func.now()},
            where=Tenant.announced_at.is_(None) | (Tenant.announced_at <= statement.excluded.announced_at),
        )
    )
