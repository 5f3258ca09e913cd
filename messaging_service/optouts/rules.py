"""The opt-out rules: signed unsubscribe links and the inbound words that ask for no more messages. Pure functions."""

import base64
import hashlib
import hmac
import uuid


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unsubscribe_token(secret: bytes, message_id: uuid.UUID) -> str:
    """A short signed token naming the message whose address unsubscribes: the link works without login,
    cannot be forged, and fits a ``List-Unsubscribe`` header on one line."""
    mac = hmac.new(secret, b"unsubscribe:" + message_id.bytes, hashlib.sha256).digest()[:12]
    return _b64(message_id.bytes + mac)


def read_unsubscribe_token(secret: bytes, token: str) -> uuid.UUID | None:
    """The message a token names, or None when it is not one we signed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 28:
        return None
    message_id, mac = raw[:16], raw[16:]
    expected = hmac.new(secret, b"unsubscribe:" + message_id, hashlib.sha256).digest()[:12]
    return uuid.UUID(bytes=message_id) if hmac.compare_digest(mac, expected) else None


STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "baja", "alto", "parar", "cancelar", "sair", "pare"}
)


def is_stop_request(body: str) -> bool:
    """An inbound SMS/WhatsApp asking for no more messages (Twilio's keywords plus Spanish and Portuguese)."""
    return body.strip().strip(".!").lower() in STOP_WORDS
