"""Provider webhook signatures (Twilio, WhatsApp Cloud API) and signed unsubscribe links. Pure functions."""

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True)
class UnsubscribeRequest:
    tenant_id: uuid.UUID
    channel: str
    address: str
    customer_id: uuid.UUID | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unsubscribe_token(secret: bytes, request: UnsubscribeRequest) -> str:
    """An opaque, signed token naming who unsubscribes: the link works without login and cannot be forged."""
    payload = {
        "t": str(request.tenant_id),
        "ch": request.channel,
        "a": request.address,
        "c": str(request.customer_id) if request.customer_id else None,
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest()[:18])
    return f"{body}.{signature}"


def read_unsubscribe_token(secret: bytes, token: str) -> UnsubscribeRequest | None:
    """The request a token names, or None when it is not one we signed."""
    body, _, signature = token.partition(".")
    expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest()[:18])
    if not signature or not hmac.compare_digest(expected, signature):
        return None
    try:
        payload = json.loads(_unb64(body))
        return UnsubscribeRequest(
            tenant_id=uuid.UUID(payload["t"]),
            channel=payload["ch"],
            address=payload["a"],
            customer_id=uuid.UUID(payload["c"]) if payload.get("c") else None,
        )
    except (ValueError, KeyError, TypeError):
        return None
