"""What roles a credential carries (pure: no I/O)."""

from shared.identity import ADMIN, INTEGRATION

# Keys created by keys created by keys...: past this depth a key's creator is not followed, and it answers nothing.
MAX_KEY_CHAIN = 8


def grantable(roles: frozenset[str]) -> frozenset[str]:
    """The roles a holder of ``roles`` may put on an API key: their own, and ``integration`` for admins."""
    return roles | {INTEGRATION} if ADMIN in roles else roles


def creator_of(created_by: str) -> tuple[str, str]:
    """``user:<id>`` or ``apikey:<id>`` as (kind, id)."""
    kind, _, value = created_by.partition(":")
    return kind, value
