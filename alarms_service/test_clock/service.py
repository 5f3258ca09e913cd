"""The alarms' part of a test clock's day: the tenant's digests due at its clock's instant, as the quarter-hourly
scheduler would have queued them (``digests.jobs.schedule_runs`` for this one tenant)."""

import uuid
from datetime import datetime

from fastapi import Request

from alarms_service.digests.jobs import schedule_runs
from alarms_service.digests.repository import queued_runs
from alarms_service.models import SCHEMA
from shared.test_clock import common_pending


async def run_day(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    state = request.app.state
    created = await schedule_runs({"engine": state.engine, "redis": state.arq}, tenant_id=tenant_id, at=now)
    return {"runs": created}


async def pending(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """The tenant's alarm runs not executed yet, besides the outbox and the queue."""
    async with request.app.state.sessionmaker() as session:
        runs = await queued_runs(session, tenant_id)
    return {**await common_pending(request, SCHEMA, tenant_id), "runs": runs}
