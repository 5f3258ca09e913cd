"""The thin receiver of provider callbacks (issue 10): store the request, answer the provider, let messaging
apply it later.

A POST under ``/webhooks/messaging/`` (Twilio status and inbound, WhatsApp events) is written to
``gateway.webhook_requests`` and, in the same transaction, handed to messaging as a ``messaging.webhook_received``
command through the gateway's outbox. The provider gets its answer once the row is committed, whether messaging
is up or not. Nothing is verified here: messaging checks the signatures (it holds the tenants' secrets), against
the public URLs computed here from what the provider called.
"""

import base64
import re
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from api_gateway.proxy import repository
from shared.contracts.messaging import WebhookReceived
from shared.db import unit_of_work

PREFIX = "/webhooks/messaging/"
UUID_PATTERN = "[0-9a-fA-F-]{36}"
# The callbacks stored, by path below PREFIX; group 1 is the tenant when the path names one.
STORED_PATHS = {
    "twilio_status": re.compile(rf"twilio/({UUID_PATTERN})/status"),
    "twilio_inbound": re.compile(rf"twilio/({UUID_PATTERN})/inbound"),
    "whatsapp": re.compile(rf"whatsapp(?:/({UUID_PATTERN}))?"),
    # Mail for the bounce and reply domains, posted by our MTA (issue 10: DSNs, email replies).
    "email_inbound": re.compile(r"email/inbound()"),
}
# What the signatures need (and what a person looking at a stored request wants to see).
KEPT_HEADERS = (
    "content-type",
    "x-twilio-signature",
    "i-twilio-idempotency-token",
    "x-hub-signature-256",
    "x-cobranza-signature",
    "host",
    "x-forwarded-host",
    "x-forwarded-proto",
    "user-agent",
)
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def stored_kind(method: str, path: str) -> tuple[str, uuid.UUID | None] | None:
    """Which stored callback a request is, and the tenant its path names; None when it is not one of them
    (unsubscribe pages and WhatsApp's GET verification are answered by messaging itself)."""
    if method != "POST" or not path.startswith(PREFIX):
        return None
    tail = path[len(PREFIX) :].rstrip("/")
    for kind, pattern in STORED_PATHS.items():
        match = pattern.fullmatch(tail)
        if match:
            try:
                return kind, uuid.UUID(match.group(1)) if match.group(1) else None
            except ValueError:
                return None
    return None


def signed_urls(public_base_url: str | None, path: str, query: str, headers: dict[str, str], scheme: str) -> list[str]:
    """The URLs the provider may have called, and signed: the configured public one, the forwarded one."""
    tail = path + (f"?{query}" if query else "")
    urls = []
    if public_base_url:
        urls.append(public_base_url.rstrip("/") + tail)
    host = headers.get("x-forwarded-host") or headers.get("host")
    if host:
        proto = headers.get("x-forwarded-proto") or scheme
        urls.append(f"{proto}://{host}{tail}")
    return list(dict.fromkeys(urls))


def provider_answer(kind: str) -> Response:
    """What each provider expects once we have its request."""
    if kind == "twilio_inbound":
        return Response(TWIML_EMPTY, media_type="text/xml")
    if kind == "twilio_status":
        return Response(status_code=204)
    return Response(status_code=200)


async def store(
    sessionmaker: async_sessionmaker[AsyncSession],
    request: Request,
    tenant_id: uuid.UUID | None,
    body: bytes,
    public_base_url: str | None,
) -> uuid.UUID:
    """Write the request and its command to messaging in one transaction."""
    headers = {name: value for name in KEPT_HEADERS if (value := request.headers.get(name))}
    query = request.url.query
    request_id, now = uuid.uuid4(), datetime.now(UTC)
    command = WebhookReceived(
        request_id=request_id,
        path=request.url.path,
        query=query,
        headers=headers,
        body_base64=base64.b64encode(body).decode(),
        signed_urls=signed_urls(public_base_url, request.url.path, query, headers, request.url.scheme),
        received_at=now,
    )
    async with unit_of_work(sessionmaker) as session:
        await repository.store(session, command, tenant_id, body)
    return request_id


async def purge_handed_over(engine: AsyncEngine, older_than_days: int) -> int:
    """Forget stored requests older than ``older_than_days`` whose command the relay has handed to messaging."""
    async with AsyncSession(engine) as session, session.begin():
        return await repository.purge_handed_over(session, older_than_days)
