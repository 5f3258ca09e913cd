"""One attempt at one claimed message, per channel: the tenant's provider (or the sandbox peer), the email built
with its attachments, unsubscribe link, reply and bounce addresses. Whatever goes wrong becomes a ``SendResult``:
one message's failure never loses the batch's other outcomes."""

from typing import Any

from messaging_service.channels.config import email_config, policy, sms_config, whatsapp_config
from messaging_service.channels.email import build_email, send_email
from messaging_service.channels.providers import send_sms, send_whatsapp
from messaging_service.delivery.acceptance import public_base, tenant_view
from messaging_service.delivery.rendering import message_id_header, unsubscribe_link
from messaging_service.delivery.rows import Claimed, Tenant
from messaging_service.delivery.rules import SendResult, zone
from messaging_service.delivery.statement import statement_files
from messaging_service.inbound.rules import reply_address, verp_address
from messaging_service.optouts.rules import unsubscribe_token
from messaging_service.settings import MessagingSettings
from messaging_service.templates.context import TenantView
from messaging_service.tenant_settings.rules import is_sandbox
from shared.clock import tenant_now


def tenant_view_cached(ctx: dict[str, Any], tenant: Tenant) -> TenantView:
    """One ``TenantView`` per tenant row (its context parts are built once, not per message)."""
    views: dict[int, tuple[Tenant, TenantView]] = ctx.setdefault("tenant_views", {})
    view = views.get(id(tenant))
    if view is None or view[0] is not tenant:
        view = views[id(tenant)] = (tenant, tenant_view(tenant))
        if len(views) > 1000:
            views.clear()
    return view[1]


async def send_one(ctx: dict[str, Any], row: Claimed, tenant: Tenant | None) -> SendResult:
    settings: MessagingSettings = ctx["settings"]
    if tenant is None or not tenant.active:
        return SendResult.permanent("tenant_inactive", "the tenant is not active")
    if not policy(tenant.channels, row.channel).enabled:
        return SendResult.permanent("channel_disabled", "the tenant turned this channel off")
    try:
        if row.channel == "email":
            return await _send_email(ctx, row, tenant)
        if row.channel == "sms":
            config = sms_config(settings, tenant.channels, tenant.secrets, sandbox=is_sandbox(tenant))
            if config is None:
                return SendResult.permanent("channel_not_configured", "no SMS provider configured")
            callback = f"{public_base(settings)}/webhooks/messaging/twilio/{row.tenant_id}/status?message={row.id}"
            async with ctx["provider_slots"]:
                return await send_sms(
                    ctx["http"],
                    config,
                    to=row.to_address,
                    body=row.body_text or "",
                    status_callback=callback,
                    timeout_seconds=settings.provider_timeout_seconds,
                    reference=str(row.id),
                )
        config_wa = whatsapp_config(settings, tenant.channels, tenant.secrets, sandbox=is_sandbox(tenant))
        if config_wa is None:
            return SendResult.permanent("channel_not_configured", "no WhatsApp provider configured")
        async with ctx["provider_slots"]:
            return await send_whatsapp(
                ctx["http"],
                config_wa,
                to=row.to_address,
                whatsapp=row.whatsapp,
                text=row.body_text or "",
                timeout_seconds=settings.provider_timeout_seconds,
                reference=str(row.id),
            )
    except Exception as exc:  # an unexpected error must not lose the batch's other outcomes: retry this one
        return SendResult.transient("internal_error", f"{type(exc).__name__}: {exc}")


async def _send_email(ctx: dict[str, Any], row: Claimed, tenant: Tenant) -> SendResult:
    settings: MessagingSettings = ctx["settings"]
    config = email_config(settings, tenant.channels, tenant.secrets, tenant.name, sandbox=is_sandbox(tenant))
    if config is None:
        return SendResult.permanent("channel_not_configured", "no sandbox SMTP server configured")
    payload = row.payload or {}
    today = tenant_now(row.test_clock).astimezone(zone(row.timezone)).date()
    attachments = (
        await statement_files(payload, tenant_view_cached(ctx, tenant), row.language, today)
        if payload.get("attach_statement")
        else []
    )
    token = unsubscribe_token(settings.link_secret(), row.id)
    message_id = message_id_header(row.id, config.from_address)
    raw = build_email(
        config,
        to=row.to_address,
        to_name=row.recipient_name,
        subject=row.subject or "",
        text=row.body_text or "",
        html=row.body_html,
        message_id=message_id,
        attachments=attachments,
        unsubscribe_url=unsubscribe_link(public_base(settings), token) if row.kind != "alarm_digest" else None,
        language=row.language,
        reply_to=reply_address(row.id, settings.reply_domain) if row.kind != "alarm_digest" else None,
        date=row.test_clock,
    )
    sender = verp_address(row.id, settings.bounce_domain)
    return await send_email(ctx["smtp"], config, raw, row.to_address, message_id, sender=sender)
