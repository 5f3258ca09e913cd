"""Email that comes back to us: late bounces (DSN, RFC 3464) and customers' replies (issue 10, points 3 and 5).

Our MTA (the local SMTP server in development) receives mail for the bounce and reply domains and posts each
message to the gateway's ``/webhooks/messaging/email/inbound``, signed (``X-Cobranza-Signature``); the gateway
stores it and the worker calls ``apply_inbound_email`` once the signature checks out. The MTA posts again until it
gets a 2xx, so the same message may come twice: applying it again changes nothing (a bounced message stays so, a
suppression is added once, a reply is stored once by its Message-ID).
"""

from datetime import datetime
from email.message import Message as MailMessage
from email.utils import getaddresses, parseaddr

import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery.reports import apply_status
from messaging_service.delivery.suppressions import INVALID, suppress
from messaging_service.inbound import repository
from messaging_service.inbound.replies import record_reply
from messaging_service.inbound.rules import (
    REPLY_PREFIX,
    VERP_PREFIX,
    Bounce,
    BounceKind,
    header_text,
    is_auto_reply,
    is_delivery_report,
    our_message_ids,
    parse_message,
    read_delivery_report,
    read_plain_bounce,
    read_tagged_address,
    reply_text,
    verify_inbound_email_signature,
)
from messaging_service.models import Message
from messaging_service.settings import MessagingSettings

log = structlog.get_logger()

BOUNCE, REPLY, IGNORED = "bounce", "reply", "ignored"
INBOUND_EMAIL = Counter(
    "messaging_inbound_email_total",
    "Email received for the bounce and reply domains, by what it was: hard, gave_up and soft bounces, replies, "
    "automatic answers, and mail that named no message of ours",
    ["outcome"],
)


class BounceBeforeSendRecorded(Exception):
    """The bounced message is still ``sending``: its send's result, about to be recorded, would overwrite the
    bounce. Raised so the caller applies it again later (the inbox retries the command; our MTA posts again)."""


def verify_inbound_email(settings: MessagingSettings, raw: bytes, signature: str | None) -> bool:
    """True when our MTA signed this raw message (``X-Cobranza-Signature: sha256=<hex>``)."""
    return verify_inbound_email_signature(settings.inbound_email_key(), raw, signature)


def _recipients(mail: MailMessage) -> list[str]:
    """The addresses it was delivered to: what the MTA stamped (Delivered-To), then what the headers say."""
    values = [str(v) for name in ("Delivered-To", "X-Original-To", "To", "Cc") for v in mail.get_all(name) or []]
    return [address for _, address in getaddresses(values) if address]


async def apply_inbound_email(
    session: AsyncSession, settings: MessagingSettings, raw: bytes, received_at: datetime
) -> str:
    """Apply one received email in the caller's transaction; answers what it was: "bounce", "reply", "ignored"."""
    mail = parse_message(raw)
    recipients = _recipients(mail)
    verp_ids = [
        found for a in recipients if (found := read_tagged_address(a, VERP_PREFIX, settings.bounce_domain)) is not None
    ]
    if is_delivery_report(mail) or verp_ids:
        bounce = read_delivery_report(mail) if is_delivery_report(mail) else None
        if bounce is None and not is_delivery_report(mail) and not is_auto_reply(mail):
            bounce = read_plain_bounce(mail)
        if bounce is None:
            return _ignored("not_a_bounce", mail)
        message = await repository.email_message(session, [*verp_ids, *our_message_ids(bounce.original_message_id)])
        if message is None:
            return _ignored("bounce_of_unknown_message", mail)
        if message.state == "sending":
            raise BounceBeforeSendRecorded(f"message {message.id} is still sending")
        await _apply_bounce(session, message, bounce)
        return BOUNCE
    if is_auto_reply(mail):
        return _ignored("auto_reply", mail)
    reply_ids = [
        found for a in recipients if (found := read_tagged_address(a, REPLY_PREFIX, settings.reply_domain)) is not None
    ]
    named = [*reply_ids, *our_message_ids(mail.get("In-Reply-To"), mail.get("References"))]
    answered = await repository.email_message(session, named)
    if answered is None:
        return _ignored("reply_to_unknown_message", mail)
    reply_id = await record_reply(
        session,
        answered.tenant_id,
        channel="email",
        from_address=parseaddr(str(mail.get("From") or ""))[1].lower(),
        body=reply_text(mail),
        subject=header_text(mail.get("Subject")) or None,
        in_reply_to=answered.id,
        customer_id=answered.customer_id,
        received_at=received_at,
        external_id=header_text(mail.get("Message-ID")) or None,
    )
    if reply_id is None:
        return _ignored("reply_already_recorded", mail)
    INBOUND_EMAIL.labels("reply").inc()
    log.info("email_reply_received", message_id=str(answered.id), tenant_id=str(answered.tenant_id))
    return REPLY


async def _apply_bounce(session: AsyncSession, message: Message, bounce: Bounce) -> None:
    """A hard bounce does what a refusal at send time does: the message is bounced (even after ``sent``) and,
    when the address itself is bad, the contact is invalidated; an MTA that gave up fails the message; a delay
    is only counted and logged."""
    INBOUND_EMAIL.labels(bounce.kind.value).inc()
    detail = f"late bounce: {bounce.diagnostic or bounce.status or 'delivery failed'}"
    log.info(
        "email_bounce_received",
        kind=bounce.kind.value,
        status=bounce.status,
        message_id=str(message.id),
        tenant_id=str(message.tenant_id),
        state=message.state,
    )
    if bounce.kind is BounceKind.SOFT:
        return
    state = "bounced" if bounce.kind is BounceKind.HARD else "failed"
    await apply_status(session, message, state, bounce.error_code, detail)
    if bounce.invalidates_address:
        await suppress(
            session,
            message.tenant_id,
            kind=INVALID,
            channel="email",
            address=message.to_address,
            customer_id=message.customer_id,
            source="email_bounce",
            reason=f"{bounce.error_code}: {bounce.diagnostic or ''}".strip(),
        )


def _ignored(why: str, mail: MailMessage) -> str:
    INBOUND_EMAIL.labels(why).inc()
    log.info("inbound_email_ignored", reason=why, subject=header_text(mail.get("Subject"))[:200])
    return IGNORED
