"""Dunning's part of a test clock's day: the tenant's scheduled run of that date, as the quarter-hourly scheduler
queues it (``runs.jobs.schedule_runs`` for this one tenant at its clock's instant: once its run hour has come)."""

import uuid
from datetime import datetime

from fastapi import Request

from dunning_service.models import SCHEMA
from dunning_service.runs.jobs import schedule_runs
from dunning_service.runs.lifecycle_repository import runs_in_flight
from shared.test_clock import common_pending


async def run_day(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """Queue the tenant's scheduled run of ``now``'s local date (once per date: the scheduler's unique index)."""
    state = request.app.state
    return {"runs": await schedule_runs({"engine": state.engine, "redis": state.arq}, tenant_id=tenant_id, at=now)}


async def pending(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """The tenant's runs not finished yet, besides the outbox and the queue."""
    async with request.app.state.sessionmaker() as session:
        runs = await runs_in_flight(session, tenant_id)
    return {**await common_pending(request, SCHEMA, tenant_id), "runs": runs}
