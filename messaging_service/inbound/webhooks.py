"""Provider callbacks, public at the gateway under ``/webhooks/messaging/...``: who signed them, and WhatsApp's GET
verification.

Nothing here trusts the caller: Twilio requests must carry ``X-Twilio-Signature`` (HMAC-SHA1 of the public URL and
the sorted parameters, with the tenant's auth token), WhatsApp ones ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw
body with the app secret).

Status and inbound callbacks (the POSTs) are stored by the gateway before it answers the provider (issue 10) and
applied by the worker (``messaging_service.inbound.apply``) with the checks below; the signature covers the URL the
provider called, which the gateway computed from its public URL and forwarded headers. Only the gateway is public,
so messaging has no route of its own for them. WhatsApp's GET verification is answered here, synchronously.
"""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import PlainTextResponse, Response

from messaging_service.channels.config import sms_config, whatsapp_config
from messaging_service.inbound import repository
from messaging_service.inbound.rules import verify_twilio, verify_whatsapp
from messaging_service.inbound.stored import StoredRequest
from messaging_service.settings import MessagingSettings
from messaging_service.tenant_settings import repository as tenant_settings_repository
from messaging_service.tenant_settings.rules import is_sandbox
from shared.db import SessionDep
from shared.problems import Forbidden

router = APIRouter(prefix="/webhooks/messaging", include_in_schema=False)


# ---- verifying stored callbacks -----------------------------------------------------------------------------


async def verified_twilio_params(
    session: AsyncSession, settings: MessagingSettings, request: StoredRequest
) -> dict[str, str] | None:
    """Twilio's parameters when the tenant's auth token signed them for one of the URLs; else None."""
    if request.tenant_id is None:
        return None
    params = request.form()
    tenant = await tenant_settings_repository.load(session, request.tenant_id)
    config = sms_config(settings, tenant.channels, tenant.secrets, sandbox=is_sandbox(tenant)) if tenant else None
    signature = request.headers.get("x-twilio-signature")
    if config is None or not verify_twilio(config.auth_token, request.signed_urls, params, signature):
        return None
    return dict(params)


async def verified_whatsapp_tenants(
    session: AsyncSession, settings: MessagingSettings, request: StoredRequest, values: list[dict[str, Any]]
) -> list[uuid.UUID]:
    """The tenants whose WhatsApp app secret signed the body (the one in the path, else the numbers' owners)."""
    phone_ids = {str((v.get("metadata") or {}).get("phone_number_id") or "") for v in values}
    signature = request.headers.get("x-hub-signature-256")
    verified = []
    for tenant in await repository.whatsapp_tenants(session, settings, request.tenant_id, phone_ids):
        config = whatsapp_config(settings, tenant.channels, tenant.secrets, sandbox=is_sandbox(tenant))
        if config is not None and verify_whatsapp(config.app_secret, request.body, signature):
            verified.append(tenant.tenant_id)
    return verified


# ---- WhatsApp -----------------------------------------------------------------------------------------------------


async def _verify_challenge(request: Request, session: AsyncSession, tenant_id: uuid.UUID | None) -> Response:
    settings: MessagingSettings = request.app.state.settings
    params = request.query_params
    token = params.get("hub.verify_token") or ""
    if params.get("hub.mode") != "subscribe" or not token:
        raise Forbidden("Not a webhook verification")
    if tenant_id is not None:
        tenant = await tenant_settings_repository.load(session, tenant_id)
        config = (
            whatsapp_config(settings, tenant.channels, tenant.secrets, sandbox=is_sandbox(tenant)) if tenant else None
        )
        ok = config is not None and config.verify_token == token
    else:
        ok = await repository.verify_token_owned(session, token) or (
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
