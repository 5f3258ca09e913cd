"""Provider webhook signatures (Twilio, WhatsApp Cloud API) and signed unsubscribe links. Pure functions."""

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """``X-Twilio-Signature``: base64(HMAC-SHA1(auth token, full URL + each POST parameter name and value,
    sorted by name)), as Twilio documents it."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_twilio(auth_token: str, urls: Iterable[str], params: list[tuple[str, str]], signature: str | None) -> bool:
    """True when the signature matches one of the URLs the provider may have posted to."""
    if not signature or not auth_token:
        return False
    return any(hmac.compare_digest(twilio_signature(auth_token, url, params), signature) for url in urls)


def whatsapp_signature(app_secret: str, body: bytes) -> str:
    """``X-Hub-Signature-256``: ``sha256=`` + hex HMAC-SHA256(app secret, raw body)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_whatsapp(app_secret: str, body: bytes, signature: str | None) -> bool:
    if not signature or not app_secret:
        return False
    return hmac.compare_digest(whatsapp_signature(app_secret, body), signature)


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


def inbound_email_signature(secret: bytes, raw: bytes) -> str:
    """``X-Cobranza-Signature`` of an email our MTA posts to the inbound webhook: ``sha256=`` + hex
    HMAC-SHA256(secret, raw message)."""
    return "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()


def verify_inbound_email_signature(secret: bytes, raw: bytes, signature: str | None) -> bool:
    if not signature or not secret:
        return False
    return hmac.compare_digest(inbound_email_signature(secret, raw), signature.strip())
