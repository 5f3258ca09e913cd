"""A debtor's visit: the link checked (shape, rate limits, state), the request's origin, the form nonce.

Whatever is wrong with a link (unknown, expired, revoked, the portal off), the debtor gets the same friendly page
(``LinkRefused``): nothing tells a guessed token from an expired one."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.links import repository as links
from services.portal.links.rules import LinkState
from services.portal.links.service import state_of
from services.portal.settings import PortalSettings
from services.portal.tenant_settings import service as tenant_settings
from services.portal.tenant_settings.schemas import PortalSettingsOut
from services.portal.visits.limits import within_limit
from services.portal.visits.rules import client_address
from shared.portal_links import looks_like_token, token_hash

log = structlog.get_logger()

NONCE_COOKIE = "portal_form"
MINUTE, HOUR = 60, 3600


class LinkRefused(Exception):
    """The link opens nothing (the reason is logged, never shown)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooManyVisits(Exception):
    """A rate limit was reached: the page says to wait."""


class FormExpired(Exception):
    """A form came without the nonce cookie or with a form token that does not match it (CSRF, or a stale tab)."""


@dataclass(frozen=True, slots=True)
class Visit:
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    link_id: uuid.UUID
    token: str
    link_language: str | None
    address: str | None
    user_agent: str | None
    nonce: str
    new_nonce: bool  # the page sets the cookie
    settings: PortalSettingsOut

    @property
    def base(self) -> str:
        """The page's own path (through the gateway): every link and form of the page starts here."""
        return f"/portal/{self.token}"


def forms_secret(settings: PortalSettings) -> bytes:
    return hmac.new(settings.internal_secret.encode(), b"portal-forms", hashlib.sha256).digest()


def request_address(request: Request) -> str | None:
    return client_address(request.headers.get("x-forwarded-for"), request.client.host if request.client else None)


async def open_visit(request: Request, session: AsyncSession, token: str, *, page_view: bool) -> Visit:
    """The visit of ``token``, or ``LinkRefused`` / ``TooManyVisits``. A page view counts against the page
    limits and is counted on the link (its opens); forms count against the action limit (their caller)."""
    settings: PortalSettings = request.app.state.settings
    redis = request.app.state.redis
    address = request_address(request) or "unknown"
    if page_view and not await within_limit(redis, "address", address, settings.pages_per_minute_per_address, MINUTE):
        raise TooManyVisits()
    link = await links.find_by_hash(session, token_hash(token)) if looks_like_token(token) else None
    if link is None:
        if not await within_limit(redis, "refused", address, settings.refused_tokens_per_hour_per_address, HOUR):
            raise TooManyVisits()
        raise LinkRefused("unknown")
    if page_view and not await within_limit(redis, "link", str(link.id), settings.pages_per_minute_per_link, MINUTE):
        raise TooManyVisits()
    portal = await tenant_settings.current(session, link.tenant_id)
    now = datetime.now(UTC)
    state = state_of(link, portal, now)
    if state is not LinkState.OPEN:
        log.info("portal_link_refused", tenant_id=str(link.tenant_id), link_id=str(link.id), reason=state.value)
        raise LinkRefused(state.value)
    if page_view:
        await links.record_open(session, link.tenant_id, link.id, now)
    nonce = request.cookies.get(NONCE_COOKIE)
    return Visit(
        tenant_id=link.tenant_id,
        customer_id=link.customer_id,
        link_id=link.id,
        token=token,
        link_language=link.language,
        address=request_address(request),
        user_agent=(request.headers.get("user-agent") or "")[:400] or None,
        nonce=nonce or secrets.token_urlsafe(16),
        new_nonce=not nonce,
        settings=portal,
    )


async def check_action_limit(request: Request, visit: Visit) -> None:
    settings: PortalSettings = request.app.state.settings
    limit = settings.actions_per_hour_per_link
    if not await within_limit(request.app.state.redis, "actions", str(visit.link_id), limit, HOUR):
        raise TooManyVisits()
