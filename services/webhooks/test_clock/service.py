"""The webhooks' part of a test clock: no daily work (deliveries stay real-time, their ``webhook-timestamp`` is
the wall clock's); only what is in flight, so the gateway waits for the events the tenant's day produced to be
turned into deliveries. The deliveries themselves, and their retries, are not waited for: a receiver that is down
must not stop the clock."""

import uuid
from datetime import datetime

from fastapi import Request

from services.webhooks.models import SCHEMA
from shared.test_clock import common_pending


async def pending(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    return await common_pending(request, SCHEMA, tenant_id)
