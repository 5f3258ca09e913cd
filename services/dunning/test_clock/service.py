"""Dunning's part of a test clock's day: the tenant's scheduled run of that date, as the quarter-hourly scheduler
queues it (``runs.jobs.schedule_runs`` for this one tenant at its clock's instant: once its run hour has come)."""

import uuid
from datetime import datetime

from fastapi import Request
from sqlalchemy import text

from services.dunning.models import SCHEMA
from services.dunning.runs.jobs import schedule_runs
from shared.test_clock import common_pending

_IN_FLIGHT = text("SELECT count(*) FROM dunning.runs WHERE tenant_id = :tenant_id AND status IN ('queued', 'running')")


async def run_day(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """Queue the tenant's scheduled run of ``now``'s local date (once per date: the scheduler's unique index)."""
    state = request.app.state
    return {"runs": await schedule_runs({"engine": state.engine, "redis": state.arq}, tenant_id=tenant_id, at=now)}


async def pending(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """The tenant's runs not finished yet, besides the outbox and the queue."""
    async with request.app.state.engine.connect() as conn:
        runs = int((await conn.execute(_IN_FLIGHT, {"tenant_id": tenant_id})).scalar_one())
    return {**await common_pending(request, SCHEMA, tenant_id), "runs": runs}
