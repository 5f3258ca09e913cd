"""The delivery rules: what an attempt's result does to a message, how reports from providers move its state.

Pure functions, no I/O. A transient error (timeout, 5xx, 429, a 4xx SMTP reply) is retried with exponential
backoff; after the last attempt the message is dead-lettered (failed, kept for an operator to resend).
A permanent error is never retried; when it says the address is bad, the contact is invalidated.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.contracts.messaging import MessageState

QUEUED, DEFERRED, SENDING, SENT, DELIVERED, READ, FAILED, BOUNCED = (
    MessageState.QUEUED,
    MessageState.DEFERRED,
    MessageState.SENDING,
    MessageState.SENT,
    MessageState.DELIVERED,
    MessageState.READ,
    MessageState.FAILED,
    MessageState.BOUNCED,
)
TERMINAL_FAILURES = frozenset({FAILED, BOUNCED})
RESENDABLE = TERMINAL_FAILURES
# How far a message has come: a report never moves a message back (callbacks arrive out of order).
PROGRESS = {QUEUED: 0, DEFERRED: 0, SENDING: 1, SENT: 2, DELIVERED: 3, READ: 4}


class Outcome(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient_error"
    PERMANENT = "permanent_error"


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a channel adapter says about one attempt."""

    outcome: Outcome
    provider_message_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    invalid_contact: bool = False  # the address itself is bad: invalidate it (dunning falls back)
    opted_out: bool = False  # the provider says the recipient unsubscribed (e.g. Twilio 21610)
    bounced: bool = False  # an email refused for its recipient (hard bounce)

    @classmethod
    def sent(cls, provider_message_id: str | None) -> "SendResult":
        return cls(Outcome.SENT, provider_message_id)

    @classmethod
    def transient(cls, code: str, error: str) -> "SendResult":
        return cls(Outcome.TRANSIENT, error_code=code, error=error[:2000])

    @classmethod
    def permanent(cls, code: str, error: str, **flags: bool) -> "SendResult":
        return cls(Outcome.PERMANENT, error_code=code, error=error[:2000], **flags)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 60.0
    max_seconds: float = 3600.0

    def delay(self, attempt: int) -> timedelta:
        """Exponential backoff after attempt number ``attempt`` (1-based): base, 2x base, 4x base, ... capped."""
        return timedelta(seconds=min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1)))


@dataclass(frozen=True, slots=True)
class AfterAttempt:
    state: MessageState
    retry_at: datetime | None = None
    dead_lettered: bool = False
    error_code: str | None = None
    error: str | None = None


def after_attempt(result: SendResult, attempt: int, policy: RetryPolicy, now: datetime) -> AfterAttempt:
    """The message's next state after attempt number ``attempt`` ended with ``result``."""
    if result.outcome is Outcome.SENT:
        return AfterAttempt(SENT)
    if result.outcome is Outcome.PERMANENT:
        return AfterAttempt(BOUNCED if result.bounced else FAILED, error_code=result.error_code, error=result.error)
    if attempt >= policy.max_attempts:
        return AfterAttempt(
            FAILED,
            dead_lettered=True,
            error_code=result.error_code,
            error=f"dead-lettered after {attempt} attempts: {result.error}",
        )
    return AfterAttempt(QUEUED, retry_at=now + policy.delay(attempt), error_code=result.error_code, error=result.error)


def apply_report(current: str, reported: str) -> MessageState | None:
    """The state a provider's report moves a message to, or None when it changes nothing.

    Reports only move forward (``read`` after ``delivered`` is kept even when ``delivered`` arrives last);
    a failure after delivery is ignored; a failed or bounced message stays so.
    """
    if current in TERMINAL_FAILURES:
        return None
    if reported in TERMINAL_FAILURES:
        return MessageState(reported) if PROGRESS.get(current, 0) < PROGRESS[DELIVERED] else None
    if reported not in PROGRESS or PROGRESS[reported] <= PROGRESS.get(current, 0):
        return None
    return MessageState(reported)


# Provider status words -> our states (None: an intermediate step we do not record).
TWILIO_STATUSES: dict[str, MessageState | None] = {
    "accepted": None,
    "queued": None,
    "scheduled": None,
    "sending": None,
    "sent": SENT,
    "delivered": DELIVERED,
    "read": READ,
    "undelivered": FAILED,
    "failed": FAILED,
    "canceled": FAILED,
}
WHATSAPP_STATUSES: dict[str, MessageState | None] = {
    "sent": SENT,
    "delivered": DELIVERED,
    "read": READ,
    "failed": FAILED,
    "deleted": None,
}
# Twilio error codes in a status callback that say the number cannot receive messages.
TWILIO_INVALID_NUMBER_CODES = frozenset({"21211", "21612", "21614", "30003", "30005", "30006"})
TWILIO_OPT_OUT_CODES = frozenset({"21610"})
# WhatsApp Cloud API error codes that say the number is not a WhatsApp user / cannot be reached.
WHATSAPP_INVALID_NUMBER_CODES = frozenset({"131026", "131030", "131021"})
WHATSAPP_TRANSIENT_CODES = frozenset({"130429", "131048", "131056", "131000", "133004", "2", "4", "80007"})

STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "baja", "alto", "parar", "cancelar", "sair", "pare"}
)


def is_stop_request(body: str) -> bool:
    """An inbound SMS/WhatsApp asking for no more messages (Twilio's keywords plus Spanish and Portuguese)."""
    return body.strip().strip(".!").lower() in STOP_WORDS
