"""The tenant profile (from the gateway's events) and the tenant's receivables settings."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import Tenant
from shared.clock import KeepsTenantClock

_table = Tenant.__table__


@dataclass(frozen=True, slots=True)
class TenantProfile(KeepsTenantClock):
    tenant_id: uuid.UUID
    name: str | None = None
    country: str | None = None
    timezone: str | None = None
    language: str | None = None
    default_currency: str | None = None
    promise_grace_days: int = 0
    follow_up_days: int = 3
    action_owner_id: uuid.UUID | None = None
    auto_apply_credits: bool = True
    worklist_weights: dict[str, Any] = field(default_factory=dict)  # the tenant's changes (worklist/rules.Weights)
    plan_limits: dict[str, Any] = field(default_factory=dict)  # the tenant's changes (plans/rules.PlanLimits)
    sandbox: bool = False
    test_clock: datetime | None = None


async def load_profile(session: AsyncSession, tenant_id: uuid.UUID) -> TenantProfile:
    """The profile, or defaults while the gateway's tenant event has not arrived (UTC, no holidays)."""
    row = (await session.execute(select(_table).where(_table.c.tenant_id == tenant_id))).mappings().first()
    if row is None:
        return TenantProfile(tenant_id)
    return TenantProfile(
        tenant_id=tenant_id,
        name=row["name"],
        country=row["country"],
        timezone=row["timezone"],
        language=row["language"],
        default_currency=row["default_currency"],
        promise_grace_days=row["promise_grace_days"],
        follow_up_days=row["follow_up_days"],
        action_owner_id=row["action_owner_id"],
        auto_apply_credits=row["auto_apply_credits"],
        worklist_weights=row["worklist_weights"],
        plan_limits=row["plan_limits"],
        sandbox=row["sandbox"],
        test_clock=row["test_clock"],
    )


async def upsert_settings(session: AsyncSession, tenant_id: uuid.UUID, values: dict[str, Any]) -> None:
    statement = insert(_table).values(tenant_id=tenant_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["tenant_id"], set_={**values, "updated_at": func.now()})
    )
