"""Provider callbacks and unsubscribe links, public at the gateway under ``/webhooks/messaging/...``.

Nothing here trusts the caller: Twilio requests must carry ``X-Twilio-Signature`` (HMAC-SHA1 of the public URL and
the sorted parameters, with the tenant's auth token), WhatsApp ones ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw
body with the app secret), unsubscribe links a token we signed.

Status and inbound callbacks (the POSTs) are stored by the gateway before it answers the provider (issue 10) and
applied by the worker (``services.messaging.inbound.apply``) with the checks below; the signature covers the URL the
provider called, which the gateway computed from its public URL and forwarded headers. Only the gateway is public,
so messaging has no route of its own for them. The pages (unsubscribe) and WhatsApp's GET verification are answered
here, synchronously.
"""

import html
import uuid

from fastapi import APIRouter, Request
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from services.messaging.channels.config import sms_config, whatsapp_config
from services.messaging.delivery.events import status_changed
from services.messaging.delivery.suppressions import INVALID, OPT_OUT, suppress
from services.messaging.domain.delivery import (
    TWILIO_INVALID_NUMBER_CODES,
    TWILIO_OPT_OUT_CODES,
    WHATSAPP_INVALID_NUMBER_CODES,
    apply_report,
)
from services.messaging.domain.signatures import read_unsubscribe_token, verify_twilio, verify_whatsapp
from services.messaging.inbound.stored import StoredRequest
from services.messaging.models import Message, TenantSettings, outbox
from services.messaging.settings import MessagingSettings
from services.messaging.tenants import clock_of, is_sandbox
from shared.db import SessionDep
from shared.outbox import emit
from shared.problems import Forbidden, NotFound

router = APIRouter(prefix="/webhooks/messaging", include_in_schema=False)

TIMESTAMPS = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at", "failed": "failed_at"}
TIMESTAMPS["bounced"] = "failed_at"  # a late bounce (DSN) of an email


async def apply_status(
    session: AsyncSession, message: Message, reported: str | None, error_code: str | None, error: str | None
) -> bool:
    """Move a message on after a provider's report; announce it; invalidate the contact on a permanent error."""
    if reported is None:
        return False
    new = apply_report(message.state, reported)
    if new is None:
        return False
    # The report's instant in the tenant's calendar (a sandbox tenant's test clock: delivered on the day played).
    now = clock_of(await session.get(TenantSettings, message.tenant_id)).now()
    message.state = new.value
    column = TIMESTAMPS.get(new.value)
    if column and getattr(message, column) is None:
        setattr(message, column, now)
    if new.value in ("delivered", "read") and message.sent_at is None:
        message.sent_at = now
    if new.value == "read" and message.delivered_at is None:
        message.delivered_at = now
    if new.value in ("failed", "bounced"):  # bounced: a late bounce (DSN) of an email
        message.error_code = error_code or "provider_failed"
        message.error = error or "the provider reported the message as failed"
    await session.flush()
    await emit(session, outbox, message.tenant_id, status_changed(message, at=now, with_preview=False))
    invalid = (message.channel == "sms" and error_code in TWILIO_INVALID_NUMBER_CODES) or (
        message.channel == "whatsapp" and error_code in WHATSAPP_INVALID_NUMBER_CODES
    )
    opted_out = message.channel == "sms" and error_code in TWILIO_OPT_OUT_CODES
    if invalid or opted_out:
        await suppress(
            session,
            message.tenant_id,
            kind=OPT_OUT if opted_out else INVALID,
            channel=message.channel,
            address=message.to_address,
            customer_id=message.customer_id,
            source=f"{message.channel}_provider",
            reason=f"{error_code}: {message.error}",
            customer_external_id=message.customer_external_id,
        )
    return True


# ---- verifying stored callbacks -----------------------------------------------------------------------------


async def verified_twilio_params(
    session: AsyncSession, settings: MessagingSettings, request: StoredRequest
) -> dict[str, str] | None:
    """Twilio's parameters when the tenant's auth token signed them for one of the URLs; else None."""
    if request.tenant_id is None:
        return None
    params = request.form()
    tenant = await session.get(TenantSettings, request.tenant_id)
    config = sms_config(settings, tenant.channels, tenant.secrets, sandbox=is_sandbox(tenant)) if tenant else None
    signature = request.headers.get("x-twilio-signature")
    if config is None or not verify_twilio(config.auth_token, request.signed_urls, params, signature):
        return None
    return dict(params)


async def verified_whatsapp_tenants(
    session: AsyncSession, settings: MessagingSettings, request: StoredRequest, values: list[dict]
) -> list[uuid.UUID]:
    """The tenants whose WhatsApp app secret signed the body (the one in the path, else the numbers' owners)."""
    phone_ids = {str((v.get("metadata") or {}).get("phone_number_id") or "") for v in values}
    signature = request.headers.get("x-hub-signature-256")
    verified = []
    for tenant in await _whatsapp_tenants(session, settings, request.tenant_id, phone_ids):
        config = whatsapp_config(settings, tenant.channels, tenant.secrets, sandbox=is_sandbox(tenant))
        if config is not None and verify_whatsapp(config.app_secret, request.body, signature):
            verified.append(tenant.tenant_id)
    return verified


# ---- WhatsApp -----------------------------------------------------------------------------------------------------


async def _whatsapp_tenants(
    session: AsyncSession, settings: MessagingSettings, tenant_id: uuid.UUID | None, phone_ids: set[str]
) -> list[TenantSettings]:
    """The tenants a WhatsApp webhook may be for: the one in the URL, else those owning its phone numbers."""
    if tenant_id is not None:
        tenant = await session.get(TenantSettings, tenant_id)
        return [tenant] if tenant is not None else []
    owner = TenantSettings.channels["whatsapp"]["provider"]["phone_number_id"].astext
    conditions = [owner.in_(phone_ids)] if phone_ids else []
    if settings.dev_whatsapp_phone_number_id in phone_ids:
        conditions.append(TenantSettings.sandbox.is_(True))  # a sandbox tenant's WhatsApp is the sandbox number
        if settings.development:
            conditions.append(TenantSettings.channels["whatsapp"]["provider"].is_(None))
            conditions.append(~TenantSettings.channels.has_key("whatsapp"))
    if not conditions:
        return []
    return list((await session.scalars(select(TenantSettings).where(or_(*conditions)))).all())


async def _verify_challenge(request: Request, session: AsyncSession, tenant_id: uuid.UUID | None) -> Response:
    settings: MessagingSettings = request.app.state.settings
    params = request.query_params
    token = params.get("hub.verify_token") or ""
    if params.get("hub.mode") != "subscribe" or not token:
        raise Forbidden("Not a webhook verification")
    if tenant_id is not None:
        tenant = await session.get(TenantSettings, tenant_id)
        config = (
            whatsapp_config(settings, tenant.channels, tenant.secrets, sandbox=is_sandbox(tenant)) if tenant else None
        )
        ok = config is not None and config.verify_token == token
    else:
        owner = TenantSettings.secrets["whatsapp_verify_token"].astext
        ok = bool(await session.scalar(select(TenantSettings.tenant_id).where(owner == token).limit(1))) or (
            settings.development and token == settings.dev_whatsapp_verify_token
        )
    if not ok:
        raise Forbidden("The verify token does not match")
    return PlainTextResponse(params.get("hub.challenge", ""))


@router.get("/whatsapp")
async def whatsapp_verify_platform(request: Request, session: SessionDep) -> Response:
    return await _verify_challenge(request, session, None)


@router.get("/whatsapp/{tenant_id}")
async def whatsapp_verify(request: Request, tenant_id: uuid.UUID, session: SessionDep) -> Response:
    return await _verify_challenge(request, session, tenant_id)


# ---- unsubscribe links --------------------------------------------------------------------------------------------

PAGES = {
    "es": (
        "Dejar de recibir mensajes",
        "¿Confirma que no desea recibir más mensajes de {company} en {address}?",
        "Confirmar",
        "Listo: no enviaremos más mensajes de {company} a {address} por este medio.",
    ),
    "en": (
        "Unsubscribe",
        "Do you confirm you no longer want messages from {company} at {address}?",
        "Confirm",
        "Done: {company} will send no more messages to {address} on this channel.",
    ),
    "pt": (
        "Cancelar mensagens",
        "Confirma que não deseja mais receber mensagens de {company} em {address}?",
        "Confirmar",
        "Pronto: {company} não enviará mais mensagens para {address} por este canal.",
    ),
}


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width"></head>'
        f'<body style="font-family:Arial,sans-serif;max-width:36em;margin:3em auto">{body}</body></html>'
    )


async def _unsubscribe_target(request: Request, session: AsyncSession, token: str) -> tuple[Message, dict[str, str]]:
    message_id = read_unsubscribe_token(request.app.state.settings.link_secret(), token)
    # The link carries the message's id alone (links already sent stay valid): found across tenants by its id.
    message = await session.scalar(select(Message).where(Message.id == message_id)) if message_id else None
    if message is None:
        raise NotFound("This link is not valid")
    tenant = await session.get(TenantSettings, message.tenant_id)
    language = message.language if message.language in PAGES else "es"
    company = (((tenant.profile or {}).get("company") or {}).get("display_name") or tenant.name) if tenant else ""
    words = {"language": language, "company": html.escape(company or ""), "address": html.escape(message.to_address)}
    return message, words


@router.get("/unsubscribe/{token}")
async def unsubscribe_page(request: Request, token: str, session: SessionDep) -> Response:
    """The link in a message: a page asking to confirm (a link scanner following it unsubscribes nobody)."""
    _, words = await _unsubscribe_target(request, session, token)
    title, question, button, _ = PAGES[words["language"]]
    return _page(
        title,
        f"<h1>{title}</h1><p>{question.format(**words)}</p>"
        f'<form method="post"><button type="submit">{button}</button></form>',
    )


@router.post("/unsubscribe/{token}")
async def unsubscribe(request: Request, token: str, session: SessionDep) -> Response:
    """The confirmation, or a mail client's one-click unsubscribe (RFC 8058): records the opt-out."""
    target, words = await _unsubscribe_target(request, session, token)
    await suppress(
        session,
        target.tenant_id,
        kind=OPT_OUT,
        channel=target.channel,
        address=target.to_address,
        customer_id=target.customer_id,
        source="unsubscribe_link",
        reason="unsubscribe link",
    )
    title, _, _, done = PAGES[words["language"]]
    return _page(title, f"<h1>{title}</h1><p>{done.format(**words)}</p>")
