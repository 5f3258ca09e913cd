"""Replies, in the API: what customers wrote back, newest first (the collector's desk shows them per customer)."""

import uuid
from typing import Any

from fastapi import APIRouter

from messaging_service.inbound import repository
from messaging_service.inbound.auth import ReplyRead
from messaging_service.inbound.schemas import ReplyOut
from shared.contracts.common import Channel
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/replies", tags=["messages"], responses=problem_responses(401, 403, 422))


@router.get("", response_model=Page[ReplyOut])
async def list_replies(
    identity: ReplyRead,
    session: SessionDep,
    page: PageDep,
    customer_id: uuid.UUID | None = None,
    channel: Channel | None = None,
) -> dict[str, Any]:
    """What customers wrote back (SMS, WhatsApp, email), newest first; filter by customer and channel."""
    rows = await repository.list_replies(
        session, identity.tenant_id, customer_id, channel.value if channel else None, page.cursor, page.limit
    )
    return make_page(rows, page.limit, lambda r: (r.received_at.isoformat(), str(r.id)))
