"""The worker's side of provider callbacks: verify each stored request, then apply it (issue 10).

The gateway stored the request and answered the provider; here its signature is checked exactly as a direct call
would have been (an unverifiable request is logged, counted and dropped), statuses move messages on (late and
out-of-order reports are ordered by ``delivery.rules.apply_report``), and inbound messages become replies (STOP is
also an opt-out). A status naming a provider id not recorded yet (the callback raced the send's commit, and the
request carries no id of ours) raises ``CallbackTooEarly``: the batch is retried later by the inbox (with back-off,
then kept as a dead letter to replay), so it is never lost.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery.reports import apply_status
from messaging_service.delivery.rules import TWILIO_STATUSES, WHATSAPP_STATUSES
from messaging_service.delivery.suppressions import OPT_OUT, suppress
from messaging_service.inbound import repository
from messaging_service.inbound.email import apply_inbound_email, verify_inbound_email
from messaging_service.inbound.replies import record_reply
from messaging_service.inbound.stored import StoredRequest, read_stored
from messaging_service.inbound.webhooks import verified_twilio_params, verified_whatsapp_tenants
from messaging_service.models import Message
from messaging_service.optouts.rules import is_stop_request
from messaging_service.settings import MessagingSettings
from shared.contracts.messaging import WebhookReceived
from shared.inbox import Received
from shared.validation import normalize_phone

log = structlog.get_logger()

REJECTED = Counter(
    "messaging_webhooks_rejected_total", "Stored provider callbacks dropped as unverifiable", ["provider"]
)
# A status naming a provider id we do not know yet may be racing the send's commit: it is retried this long,
# then dropped as not ours.
UNKNOWN_MESSAGE_PATIENCE = timedelta(minutes=20)


class CallbackTooEarly(Exception):
    """The message's send is not recorded yet; the callback is applied on a later try."""


async def on_webhook_received(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[WebhookReceived]]
) -> None:
    settings: MessagingSettings = ctx["settings"]
    for received in batch:
        command = received.message
        request = read_stored(command)
        if request is None:
            log.warning("webhook_unknown_path", path=command.path, request_id=str(command.request_id))
            continue
        if request.kind.startswith("twilio"):
            await _apply_twilio(session, settings, request, command)
        elif request.kind == "whatsapp":
            await _apply_whatsapp(session, settings, request, command)
        elif request.kind == "email_inbound":
            await _apply_email(session, settings, request, command)
        else:  # kept (retried, then a dead letter to replay) until this worker knows how to apply it
            raise LookupError(f"no applier for stored {request.kind} requests")


async def _apply_email(
    session: AsyncSession, settings: MessagingSettings, request: StoredRequest, command: WebhookReceived
) -> None:
    """A DSN or an email reply our MTA posted (``inbound.email``); a bounce that overtook its send's result raises
    and is retried."""
    if not verify_inbound_email(settings, request.body, request.headers.get("x-cobranza-signature")):
        _reject("email", command)
        return
    await apply_inbound_email(session, settings, request.body, command.received_at)


def _reject(provider: str, command: WebhookReceived) -> None:
    REJECTED.labels(provider).inc()
    log.warning("webhook_signature_rejected", provider=provider, path=command.path, request_id=str(command.request_id))


async def _apply_status(
    session: AsyncSession,
    command: WebhookReceived,
    message: Message | None,
    by_our_id: bool,
    reported: str | None,
    code: str | None,
    detail: str | None,
) -> None:
    if message is None:
        if by_our_id or datetime.now(UTC) - command.received_at > UNKNOWN_MESSAGE_PATIENCE:
            log.info("webhook_status_for_unknown_message", path=command.path, request_id=str(command.request_id))
            return
        raise CallbackTooEarly(f"no message with this provider id yet ({command.request_id})")
    # A report for a message still ``sending`` (the callback overtook the send's commit) or ``queued`` again (its
    # sender died after the provider took it) is applied now: the provider has it. Recording the send's result later
    # never moves it back, and a message already delivered is not sent again.
    await apply_status(session, message, reported, code, detail)


# ---- Twilio -------------------------------------------------------------------------------------------------------


async def _apply_twilio(
    session: AsyncSession, settings: MessagingSettings, request: StoredRequest, command: WebhookReceived
) -> None:
    data = await verified_twilio_params(session, settings, request)
    if data is None or request.tenant_id is None:
        _reject("twilio", command)
        return
    if request.kind == "twilio_status":
        message, by_our_id = await repository.message_for_callback(
            session, [request.tenant_id], "sms", data.get("MessageSid"), request.query.get("message")
        )
        status = data.get("MessageStatus") or data.get("SmsStatus") or ""
        reported = TWILIO_STATUSES.get(status)
        code = data.get("ErrorCode") or None
        await _apply_status(
            session, command, message, by_our_id, reported.value if reported else None, code, f"Twilio status {status}"
        )
        return
    try:
        address = normalize_phone(data.get("From", ""))
    except ValueError:
        log.warning("webhook_inbound_without_phone", request_id=str(command.request_id))
        return
    await _inbound(
        session,
        request.tenant_id,
        "sms",
        address,
        data.get("Body", ""),
        external_id=data.get("MessageSid") or None,
        in_reply_to=None,
        received_at=command.received_at,
    )


# ---- WhatsApp -----------------------------------------------------------------------------------------------------


async def _apply_whatsapp(
    session: AsyncSession, settings: MessagingSettings, request: StoredRequest, command: WebhookReceived
) -> None:
    values = request.whatsapp_values()
    verified = await verified_whatsapp_tenants(session, settings, request, values or [])
    if values is None or not verified:
        _reject("whatsapp", command)
        return
    for value in values:
        for item in value.get("statuses") or []:
            message, by_our_id = await repository.message_for_callback(
                session, verified, "whatsapp", item.get("id"), item.get("biz_opaque_callback_data")
            )
            errors = item.get("errors") or [{}]
            code = str(errors[0].get("code")) if errors[0].get("code") is not None else None
            reported = WHATSAPP_STATUSES.get(item.get("status", ""))
            detail = errors[0].get("title") or errors[0].get("message")
            await _apply_status(
                session, command, message, by_our_id, reported.value if reported else None, code, detail
            )
        for item in value.get("messages") or []:
            try:
                address = normalize_phone("+" + str(item.get("from", "")))
            except ValueError:
                continue
            context_id = (item.get("context") or {}).get("id")
            for owner in await repository.tenants_that_wrote_to(session, verified, "whatsapp", address):
                answered = (
                    await repository.message_by_provider_id(session, owner, "whatsapp", context_id)
                    if context_id
                    else None
                )
                await _inbound(
                    session,
                    owner,
                    "whatsapp",
                    address,
                    _whatsapp_text(item),
                    external_id=item.get("id"),
                    in_reply_to=answered,
                    received_at=_timestamp(item.get("timestamp")) or command.received_at,
                )


def _whatsapp_text(item: dict[str, Any]) -> str:
    """The words of an inbound WhatsApp message: text, a quick-reply button, an interactive answer."""
    interactive = item.get("interactive") or {}
    reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
    text = (item.get("text") or {}).get("body") or (item.get("button") or {}).get("text") or reply.get("title")
    return text or f"({item.get('type') or 'message'})"


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


# ---- both ---------------------------------------------------------------------------------------------------------


async def _inbound(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    channel: str,
    address: str,
    body: str,
    *,
    external_id: str | None,
    in_reply_to: uuid.UUID | None,
    received_at: datetime,
) -> None:
    """A customer's message: a reply, and an opt-out too when it says STOP/BAJA (as before issue 10)."""
    opt_out = is_stop_request(body)
    reply_id = await record_reply(
        session,
        tenant_id,
        channel=channel,
        from_address=address,
        body=body,
        in_reply_to=in_reply_to,
        opt_out=opt_out,
        received_at=received_at,
        external_id=external_id,
    )
    if opt_out and reply_id is not None:
        await suppress(
            session,
            tenant_id,
            kind=OPT_OUT,
            channel=channel,
            address=address,
            customer_id=None,
            source=f"{channel}_stop",
            reason=f"replied {body.strip()[:40]!r}",
        )
