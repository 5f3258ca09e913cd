"""Messaging's part of a test clock's day: start the deliveries, so that messages deferred to a moment the tenant's
clock has now passed (quiet hours, a holiday, a frequency cap) go out, as the ten-second ``dispatch`` cron would."""

import uuid
from datetime import datetime

from fastapi import Request

from messaging_service.delivery.jobs import start_deliveries
from messaging_service.models import SCHEMA
from messaging_service.test_clock.repository import in_flight
from shared.test_clock import common_pending


async def run_day(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    state = request.app.state
    async with state.sessionmaker() as session:
        due = await in_flight(session, tenant_id, now)
    if due:
        await start_deliveries(state.arq, state.settings.delivery_parallelism)
    return {"due": due}


async def pending(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """Due messages with no deliver job to take them (accepted while the last job was ending) get one now, as the
    ten-second ``dispatch`` cron would give them: the advance does not wait for the cron."""
    state = request.app.state
    async with state.sessionmaker() as session:
        due = await in_flight(session, tenant_id, now)
    counts = {**await common_pending(request, SCHEMA, tenant_id), "messages": due}
    if due and not counts["jobs"]:
        await start_deliveries(state.arq, state.settings.delivery_parallelism)
    return counts
