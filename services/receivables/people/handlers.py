"""Receivables learns the tenant's people from the gateway's events."""

from collections import defaultdict
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import bump_and_emit_customers
from services.receivables.models import TenantUser
from shared.contracts.gateway import UserChanged
from shared.inbox import Received

SHOWN = ("email", "full_name")  # what a customer snapshot shows of its collector


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
    before = {
        (row.tenant_id, row.user_id): row
        for row in await session.execute(
            select(TenantUser.tenant_id, TenantUser.user_id, TenantUser.email, TenantUser.full_name).where(
                tuple_(TenantUser.tenant_id, TenantUser.user_id).in_(list(rows))
            )
        )
    }
    statement = insert(TenantUser).values(list(rows.values()))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "user_id"],
            set_={c: statement.excluded[c] for c in ("email", "full_name", "roles", "active")},
        )
    )
    # A collector's new name or email must reach the snapshots of its customers.
    renamed: dict[Any, list[Any]] = defaultdict(list)
    for key, row in rows.items():
        old = before.get(key)
        if old is not None and any(getattr(old, f) != row[f] for f in SHOWN):
            renamed[key[0]].append(key[1])
    for tenant_id, user_ids in renamed.items():
        await bump_and_emit_customers(session, tenant_id, "c.collector_id = ANY(:user_ids)", {"user_ids": user_ids})
