"""Which roles a caller may put on a new key (pure: no I/O)."""

from collections.abc import Iterable

from api_gateway.identity.rules import grantable


def beyond_grant(requested: Iterable[str], held: frozenset[str]) -> list[str]:
    """The requested roles the caller, holding ``held``, may not give a key, sorted (none: it may make it)."""
    return sorted({str(role) for role in requested} - grantable(held))
