"""The links to a customer's own page (issue 17): an opaque random token in the URL, nothing else.

The token carries no id and no personal data (128 random bits, 22 characters: short enough for an SMS). Whoever
mints one (messaging when it renders a message, the portal when a collector asks for a link) hands the portal only
its SHA-256; the portal finds the link by that hash, so a copy of its database opens no page.
"""

import hashlib
import secrets

TOKEN_BYTES = 16
TOKEN_LENGTH = 22  # base64url of 16 bytes, unpadded
PORTAL_PATH = "/portal/"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def looks_like_token(value: str) -> bool:
    """Shape only (length and alphabet): what is not a token is refused before the database is asked."""
    return len(value) == TOKEN_LENGTH and all(c.isascii() and (c.isalnum() or c in "-_") for c in value)


def portal_link(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}{PORTAL_PATH}{token}"
