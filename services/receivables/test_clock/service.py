"""Receivables' part of a test clock's day: break the tenant's promises whose date (and grace) has passed by its
clock's local date, as the hourly ``detect_broken_promises`` cron would, and its payment plans with an installment
unpaid past the grace days (``detect_broken_plans``), then refresh the warning signs of that
day as the daily ``refresh_warning_signs`` would (once per local day)."""

import uuid
from datetime import datetime

from fastapi import Request
from sqlalchemy import select

from services.receivables.models import SCHEMA, Tenant
from services.receivables.plans.lifecycle import break_due
from services.receivables.promises.repository import detect_broken
from services.receivables.signs.service import refresh_due_tenants
from shared.calendar import local_today
from shared.db import unit_of_work
from shared.test_clock import common_pending


async def run_day(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    async with unit_of_work(request.app.state.sessionmaker) as session:
        timezone = await session.scalar(select(Tenant.timezone).where(Tenant.tenant_id == tenant_id))
        broken, _ = await detect_broken(session, tenant_id, local_today(timezone, now))
        plans = await break_due(session, tenant_id, local_today(timezone, now))
    refreshed = await refresh_due_tenants(request.app.state.sessionmaker, now, tenant_id, at=now)
    return {"promises_broken": broken, "plans_broken": len(plans), "warning_signs_refreshed": refreshed}


async def pending(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    return await common_pending(request, SCHEMA, tenant_id)
