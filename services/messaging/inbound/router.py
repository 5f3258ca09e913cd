"""Replies, in the API: what customers wrote back, newest first (the collector's desk shows them per customer)."""

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.messaging import examples
from services.messaging.inbound import repository
from services.messaging.inbound.auth import ReplyRead
from shared.contracts.common import Channel
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/replies", tags=["messages"], responses=problem_responses(401, 403, 422))


class ReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.REPLY_OUT]})

    id: uuid.UUID
    channel: Channel
    from_address: str = Field(examples=["+5491155551234"])
    customer_id: uuid.UUID | None = None
    in_reply_to: uuid.UUID | None = Field(None, description="Our message the customer answered, when known")
    subject: str | None = None
    body: str = Field(examples=["Ya pagué ayer por transferencia"])
    opt_out: bool = Field(description="A STOP/BAJA: recorded as an opt-out of the channel")
    received_at: datetime


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
