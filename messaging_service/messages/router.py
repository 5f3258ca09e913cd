import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from messaging_service.messages import repository, service
from messaging_service.messages.auth import MessageRead, MessageResend
from messaging_service.messages.schemas import MessageDetail, MessageOut, MessageStats, ResendIn
from shared.contracts.common import Channel
from shared.contracts.messaging import CommunicationKind, MessageState
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, ValidationProblem, problem_responses

router = APIRouter(prefix="/v1/messages", tags=["messages"], responses=problem_responses(401, 403, 422))


@router.get("/stats", response_model=MessageStats)
async def message_stats(
    identity: MessageRead,
    session: SessionDep,
    since: Annotated[date | None, Query(description="First day (default: 29 days before `until`)")] = None,
    until: Annotated[date | None, Query(description="Last day, included (default: today)")] = None,
    channel: Channel | None = None,
) -> MessageStats:
    """Messages per day and channel, counted by state (days in the tenant's time zone)."""
    if since and until and since > until:
        raise ValidationProblem.field("since", "must not be after until")
    if since and until and (until - since).days > 366:
        raise ValidationProblem.field("since", "at most 367 days at once")
    return await service.stats(session, identity.tenant_id, since, until, channel.value if channel else None)


@router.get("", response_model=Page[MessageOut])
async def list_messages(
    identity: MessageRead,
    session: SessionDep,
    page: PageDep,
    customer_id: uuid.UUID | None = None,
    channel: Channel | None = None,
    state: Annotated[list[MessageState] | None, Query(description="One or more states")] = None,
    kind: CommunicationKind | None = None,
    source: str | None = None,
    source_ref: str | None = None,
    since: Annotated[datetime | None, Query(description="Created at or after")] = None,
    until: Annotated[datetime | None, Query(description="Created before")] = None,
) -> dict[str, Any]:
    """Messages, newest first; filter by customer, channel, state, kind, source and creation date."""
    rows = await repository.list_messages(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        customer_id=customer_id,
        channel=channel.value if channel else None,
        states=[s.value for s in state] if state else None,
        kind=kind.value if kind else None,
        source=source,
        source_ref=source_ref,
        since=since,
        until=until,
    )
    return make_page(rows, page.limit, key=lambda r: [r.created_at.isoformat(), r.id])


@router.get("/{message_id}", response_model=MessageDetail, responses=problem_responses(404))
async def get_message(identity: MessageRead, message_id: uuid.UUID, session: SessionDep) -> MessageDetail:
    """One message: what it said, where it went, and every delivery attempt."""
    detail = await repository.message_detail(session, identity.tenant_id, message_id)
    if detail is None:
        raise NotFound("Message not found")
    return detail


@router.post("/{message_id}/resend", response_model=MessageDetail, responses=problem_responses(404, 409))
async def resend_message(
    request: Request, identity: MessageResend, message_id: uuid.UUID, session: SessionDep, data: ResendIn | None = None
) -> MessageDetail:
    """Send a failed or bounced message again, optionally to a corrected address (quiet hours still apply)."""
    settings = request.app.state.settings
    await service.resend(session, settings, identity.tenant_id, message_id, data.to if data else None)
    detail = await repository.message_detail(session, identity.tenant_id, message_id)
    if detail is None:
        raise NotFound("Message not found")
    return detail
