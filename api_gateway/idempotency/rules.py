"""Which requests take an ``Idempotency-Key``, what makes two requests the same, and which answers are kept
(pure: no I/O)."""

import hashlib


def idempotent(path: str, method: str) -> bool:
    """The requests the middleware takes when they carry a key: ``POST /v1/...``, token requests excepted (the
    merged OpenAPI documents the header on exactly these)."""
    return method.upper() == "POST" and path.startswith("/v1/") and not path.startswith("/v1/auth/")


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256(f"{method} {path}?".encode() + query + b"\n")
    digest.update(body)
    return digest.hexdigest()


def worth_keeping(status: int | None) -> bool:
    """Whether an answer is stored for replay. Not a crash (no status), a 5xx or the rate limit's 429: the same
    request later must be able to act."""
    return status is not None and status < 500 and status != 429


def valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255
