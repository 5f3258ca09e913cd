"""The portal's part of a test clock: no daily work (links expire on the wall clock); only what is in flight, so
the gateway waits for the links a day's messages carried to be kept."""

import uuid
from datetime import datetime

from fastapi import Request

from services.portal.models import SCHEMA
from shared.test_clock import common_pending


async def pending(request: Request, tenant_id: uuid.UUID, now: datetime) -> dict[str, int]:
    return await common_pending(request, SCHEMA, tenant_id)
