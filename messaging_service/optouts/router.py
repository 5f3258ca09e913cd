"""Opt-outs (the customer asked for no more messages on a channel) and invalid contacts (a permanent delivery
error), as lists an operator can read and correct."""

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery.suppressions import INVALID, OPT_OUT
from messaging_service.optouts import repository, service
from messaging_service.optouts.auth import OptOutDelete, OptOutRead, OptOutWrite
from messaging_service.optouts.schemas import OptOutIn, SuppressionOut
from shared.contracts.common import Channel
from shared.db import SessionDep
from shared.external_ids import ExternalIdLookUpDep
from shared.pagination import Page, PageDep, PageParams, make_page
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/opt-out", tags=["opt-out"], responses=problem_responses(401, 403, 422))
invalid_router = APIRouter(
    prefix="/v1/messaging-settings/invalid-contacts", tags=["messaging-settings"], responses=problem_responses(401, 403)
)


async def _page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    page: PageParams,
    channel: Channel | None,
    customer_id: uuid.UUID | None,
    address: str | None,
) -> dict[str, Any]:
    rows = await repository.list_suppressions(
        session,
        tenant_id,
        kind,
        limit=page.limit,
        cursor=page.cursor,
        channel=channel.value if channel else None,
        customer_id=customer_id,
        address=address,
    )
    return make_page(rows, page.limit, key=lambda r: [r.created_at.isoformat(), r.id])


@router.get("", response_model=Page[SuppressionOut])
async def list_opt_outs(
    identity: OptOutRead,
    session: SessionDep,
    page: PageDep,
    channel: Channel | None = None,
    customer_id: uuid.UUID | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    """Opt-outs, newest first: SMS STOP replies, unsubscribe links, recorded by people."""
    return await _page(session, identity.tenant_id, OPT_OUT, page, channel, customer_id, address)


@router.post("", response_model=SuppressionOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(503))
async def record_opt_out(
    identity: OptOutWrite, data: OptOutIn, session: SessionDep, external_ids: ExternalIdLookUpDep
) -> SuppressionOut:
    """Record an opt-out: messages waiting for the address fail at once, receivables is told. The customer may
    be named by the ERP's id, `customer_external_id` (an unknown one is a 422 naming it; receivables out of reach
    is a 503)."""
    return await service.record_opt_out(session, external_ids, identity.tenant_id, identity.actor, data)


@router.delete("/{opt_out_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404))
async def delete_opt_out(identity: OptOutDelete, opt_out_id: uuid.UUID, session: SessionDep) -> Response:
    """Withdraw an opt-out (the customer asked to be contacted again on this channel)."""
    await service.remove(session, identity.tenant_id, OPT_OUT, opt_out_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@invalid_router.get("", response_model=Page[SuppressionOut])
async def list_invalid_contacts(
    identity: OptOutRead,
    session: SessionDep,
    page: PageDep,
    channel: Channel | None = None,
    customer_id: uuid.UUID | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    """Addresses a permanent delivery error showed invalid (hard bounce, invalid number): never used again."""
    return await _page(session, identity.tenant_id, INVALID, page, channel, customer_id, address)


@invalid_router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404))
async def delete_invalid_contact(identity: OptOutDelete, contact_id: uuid.UUID, session: SessionDep) -> Response:
    """Use the address again (the customer fixed the mailbox or the number)."""
    await service.remove(session, identity.tenant_id, INVALID, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
