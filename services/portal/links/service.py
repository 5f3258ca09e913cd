"""Links: kept when messaging announces them, made by hand for a collector, revoked, and opened by a debtor."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.links import repository
from services.portal.links.repository import LinkRow
from services.portal.links.rules import LinkFacts, LinkState, expires_at, link_state
from services.portal.links.schemas import LinkCreate
from services.portal.tenant_settings import service as tenant_settings
from services.portal.tenant_settings.schemas import PortalSettingsOut
from services.portal.upstream import Upstream
from shared.external_ids import ExternalIdLookUp, form_errors
from shared.internal import InternalClient
from shared.portal_links import new_token, portal_link, token_hash
from shared.problems import ValidationProblem


def state_of(link: LinkRow, settings: PortalSettingsOut, now: datetime) -> LinkState:
    facts = LinkFacts(
        issued_at=link.issued_at,
        revoked_at=link.revoked_at,
        valid_days=settings.link_valid_days,
        revoked_before=settings.links_revoked_before,
        portal_enabled=settings.enabled,
    )
    return link_state(facts, now)


def link_out(link: LinkRow, settings: PortalSettingsOut, now: datetime) -> dict[str, Any]:
    return {
        "id": link.id,
        "customer_id": link.customer_id,
        "message_id": link.message_id,
        "channel": link.channel,
        "language": link.language,
        "issued_by": link.issued_by,
        "issued_at": link.issued_at,
        "expires_at": expires_at(link.issued_at, settings.link_valid_days),
        "revoked_at": link.revoked_at,
        "state": state_of(link, settings, now),
        "opens": link.opens,
        "last_opened_at": link.last_opened_at,
    }


async def customer_named(
    upstream: Upstream, tenant_id: uuid.UUID, customer_id: uuid.UUID | None, customer_external_id: str | None
) -> uuid.UUID:
    """The customer a body names by either id (``shared.external_ids``: the same rules and 422s everywhere)."""
    errors = form_errors(customer_id, customer_external_id)
    if errors:
        raise ValidationProblem(errors)
    if customer_external_id is None:
        assert customer_id is not None
        return customer_id
    look_up = ExternalIdLookUp(InternalClient(upstream.http, upstream.settings))
    named = {"customer_external_id": customer_external_id}
    return (await look_up.require(tenant_id, "customer", named))["customer_external_id"]


async def create_link(
    session: AsyncSession, upstream: Upstream, public_base: str, tenant_id: uuid.UUID, actor: str, data: LinkCreate
) -> dict[str, Any]:
    """A link for a customer of this tenant (receivables says it exists: 404 otherwise), made now."""
    customer_id = await customer_named(upstream, tenant_id, data.customer_id, data.customer_external_id)
    customer = await upstream.customer(tenant_id, customer_id)
    token, now = new_token(), datetime.now(UTC)
    link_id = uuid.uuid4()
    row = {
        "tenant_id": tenant_id,
        "id": link_id,
        "token_hash": token_hash(token),
        "customer_id": customer_id,
        "language": data.language or customer.get("language"),
        "issued_by": actor,
        "issued_at": now,
    }
    await repository.insert_links(session, [row])
    link = await repository.load(session, tenant_id, link_id)
    assert link is not None
    settings = await tenant_settings.current(session, tenant_id)
    return {**link_out(link, settings, now), "url": portal_link(public_base, token)}
