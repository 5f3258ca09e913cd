"""Passwords (argon2), access tokens (short-lived JWT), refresh tokens and API keys (random, stored as sha256)."""

import hashlib
import secrets
import time
import uuid
from typing import Any

import jwt
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from shared.problems import Unauthorized

# The argon2id parameters new passwords are hashed with (``GatewaySettings.password_hashing``): RFC 9106's
# low-memory profile (64 MiB, 3 passes; argon2-cffi's default) wherever the system runs; the cheapest only for the
# test suite, which creates and logs in thousands of users (0.12 s of CPU each way at the real cost: half the
# time of the suite's service tests). A hash carries its parameters, so every hash verifies whatever the setting.
PASSWORD_HASHING = {"rfc9106-low-memory": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}
_hasher = PasswordHasher.from_parameters(PASSWORD_HASHING["rfc9106-low-memory"])
API_KEY_PREFIX = "cbz_"
REFRESH_TOKEN_PREFIX = "cbzr_"  # noqa: S105 - a prefix, not a secret


def use_password_hashing(name: str) -> None:
    """Hash new passwords with the parameters ``name`` (of ``PASSWORD_HASHING``): the gateway's app sets it from
    its settings when it is created."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(PASSWORD_HASHING[name])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this keeps a login for an unknown user as slow as one for a known user.
DUMMY_PASSWORD_HASH = hash_password(secrets.token_urlsafe(16))


def issue_access_token(
    secret: str, issuer: str, ttl_seconds: int, user_id: uuid.UUID, tenant_id: uuid.UUID, roles: list[str]
) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": str(user_id),
        "tid": str(tenant_id),
        "roles": sorted(roles),
        "typ": "access",
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def decode_access_token(secret: str, issuer: str, token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], issuer=issuer, options={"require": ["exp", "sub", "tid"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("The access token is not valid") from None
    if claims.get("typ") != "access":
        raise Unauthorized("The access token is not valid")
    return claims


def new_api_key() -> tuple[str, str, str]:
    """A new key: ``(key, prefix, sha256)``. The key is shown once; only the prefix and hash are stored."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[:12], hash_api_key(key)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_refresh_token() -> tuple[str, str]:
    """A new refresh token: ``(token, sha256)``. Only the hash is stored, like an API key's."""
    token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_api_key(token)
