"""The tenant's part of a printed statement (identity and tax data, how to pay, how to notify a payment) lives in
messaging's profile, which templates read too: asked over messaging's HTTP API, never its schema (DESIGN)."""

import uuid
from typing import Annotated, Any

import httpx
import structlog
from fastapi import Depends, Request

from shared.internal import InternalClient

log = structlog.get_logger()


class MessagingProfiles:
    """Messaging's ``GET /v1/messaging-settings``, asked as ``service:receivables`` for one tenant."""

    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def profile(self, tenant_id: uuid.UUID) -> dict[str, Any]:
        """The profile, or an empty one when messaging does not answer: the statement is still worth having
        without the payment instructions, and it says who collects from the tenant's own name."""
        try:
            answer = await self.client.get_json("messaging", "/v1/messaging-settings", tenant_id)
            return dict(answer.get("profile") or {})
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.warning("statement_profile_unavailable", tenant_id=str(tenant_id), error=f"{type(exc).__name__}")
            return {}


async def messaging_profiles(request: Request) -> MessagingProfiles:
    """The look-up a request uses (tests route it to the in-process messaging app)."""
    return MessagingProfiles(InternalClient(request.app.state.http, request.app.state.settings))


MessagingProfilesDep = Annotated[MessagingProfiles, Depends(messaging_profiles)]
