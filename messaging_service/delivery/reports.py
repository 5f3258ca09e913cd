"""A provider's report on a message (a status callback, a late bounce) moves it on: its state and timestamps, the
``messaging.message_status_changed`` event, and the contact invalidated or opted out when the error says so."""

from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery.events import status_changed
from messaging_service.delivery.rules import (
    TWILIO_INVALID_NUMBER_CODES,
    TWILIO_OPT_OUT_CODES,
    WHATSAPP_INVALID_NUMBER_CODES,
    apply_report,
)
from messaging_service.delivery.suppressions import INVALID, OPT_OUT, suppress
from messaging_service.models import Message, outbox
from messaging_service.tenant_settings import repository as tenant_settings_repository
from messaging_service.tenant_settings.rules import clock_of
from shared.outbox import emit

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
    now = clock_of(await tenant_settings_repository.load(session, message.tenant_id)).now()
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
