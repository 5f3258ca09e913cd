"""The debtor's visit, decided without I/O: the form token (CSRF), where the request came from, the language."""

import hashlib
import hmac
import uuid

LANGUAGES = ("es", "en", "pt")
DEFAULT_LANGUAGE = "es"


def form_token(secret: bytes, link_id: uuid.UUID, nonce: str) -> str:
    """What every form of the page carries: bound to the link and to the browser's cookie nonce, so a page of
    another site cannot post in the debtor's name (it can read neither)."""
    return hmac.new(secret, f"{link_id}|{nonce}".encode(), hashlib.sha256).hexdigest()


def form_token_matches(secret: bytes, link_id: uuid.UUID, nonce: str | None, sent: str | None) -> bool:
    if not nonce or not sent:
        return False
    return hmac.compare_digest(form_token(secret, link_id, nonce), sent)


def client_address(forwarded_for: str | None, peer: str | None) -> str | None:
    """The debtor's address: the last entry of ``X-Forwarded-For`` (the one our gateway appended: earlier
    entries are whatever the client claimed), else the connection's peer."""
    if forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        if last:
            return last[:64]
    return peer[:64] if peer else None


def known_language(candidate: str | None) -> str | None:
    """``candidate``'s language if we speak it (``en-GB`` is ``en``), else None."""
    return candidate[:2].lower() if candidate and candidate[:2].lower() in LANGUAGES else None


def page_language(link_language: str | None, customer_language: str | None, accept_language: str | None) -> str:
    """The customer's language (the link's, then the customer's), else the browser's first we speak, else es."""
    return known_language(link_language) or known_language(customer_language) or browser_language(accept_language)


def browser_language(accept_language: str | None) -> str:
    """The first language of ``Accept-Language`` we speak (order as sent; weights are rarely out of order)."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
