"""``/v1/portal-links``: the links to customers' own pages: list them (with their opens), make one by hand,
revoke one, a customer's, or every link of the tenant."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from services.portal.links import repository, service
from services.portal.links.auth import LinksRead, LinksRevokeAll, LinksWrite
from services.portal.links.schemas import CustomerLinksRevoke, LinkCreate, LinkCreated, LinkOut, LinksRevoked
from services.portal.settings import PortalSettings
from services.portal.tenant_settings import service as tenant_settings
from services.portal.upstream import UpstreamDep
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/portal-links", tags=["portal"], responses=problem_responses(401, 403, 422))


@router.post("", response_model=LinkCreated, status_code=status.HTTP_201_CREATED, responses=problem_responses(404))
async def create_link(
    identity: LinksWrite, data: LinkCreate, session: SessionDep, upstream: UpstreamDep, request: Request
) -> dict[str, Any]:
    """A link to the customer's page, to send by hand (messages carry their own). The answer's `url` holds the
    token, shown this once; the link lives as long as the tenant's `link_valid_days`."""
    settings: PortalSettings = request.app.state.settings
    return await service.create_link(
        session, upstream, settings.public_base(), identity.tenant_id, identity.actor, data
    )


@router.get("", response_model=Page[LinkOut])
async def list_links(
    identity: LinksRead,
    session: SessionDep,
    page: PageDep,
    customer_id: Annotated[uuid.UUID | None, Query(description="Only this customer's links")] = None,
) -> dict[str, Any]:
    """Links, newest first, with how often each was opened (never their tokens)."""
    rows = await repository.list_links(session, identity.tenant_id, customer_id, limit=page.limit, after=page.cursor)
    settings, now = await tenant_settings.current(session, identity.tenant_id), datetime.now(UTC)
    return make_page(
        rows,
        page.limit,
        key=lambda r: [r.issued_at.isoformat(), str(r.id)],
        item=lambda r: service.link_out(r, settings, now),
    )


@router.post("/{link_id}/revoke", response_model=LinksRevoked, responses=problem_responses(404))
async def revoke_link(identity: LinksWrite, link_id: uuid.UUID, session: SessionDep) -> dict[str, int]:
    """This link stops opening the page at once (a message sent to the wrong person)."""
    if await repository.load(session, identity.tenant_id, link_id) is None:
        raise NotFound("Link not found")
    return {"revoked": await repository.revoke(session, identity.tenant_id, datetime.now(UTC), link_id=link_id)}


@router.post("/revoke", response_model=LinksRevoked)
async def revoke_customer_links(
    identity: LinksWrite, data: CustomerLinksRevoke, session: SessionDep, upstream: UpstreamDep
) -> dict[str, int]:
    """Every link of this customer stops opening the page (new messages bring new ones)."""
    customer_id = await service.customer_named(
        upstream, identity.tenant_id, data.customer_id, data.customer_external_id
    )
    now = datetime.now(UTC)
    return {"revoked": await repository.revoke(session, identity.tenant_id, now, customer_id=customer_id)}


@router.post("/revoke-all", response_model=LinksRevoked)
async def revoke_every_link(identity: LinksRevokeAll, session: SessionDep) -> dict[str, int]:
    """Every link of the tenant issued until now stops opening the page (managers)."""
    now = datetime.now(UTC)
    revoked = await repository.revoke(session, identity.tenant_id, now)
    await tenant_settings.revoke_every_link(session, identity.tenant_id)
    return {"revoked": revoked}
