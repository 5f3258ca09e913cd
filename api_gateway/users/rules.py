"""What a person may change of themselves (pure: no I/O)."""

from collections.abc import Sequence

from shared.identity import ADMIN


def own_lockout(active: bool | None, roles: Sequence[str] | None) -> tuple[str, str] | None:
    """Why an admin may not make this change to themselves, as (field, message); None when they may. An admin may
    not deactivate themselves nor drop their own admin role: the last admin of a tenant would lock everyone out,
    and a caller that did it by mistake could not undo it. Another admin can."""
    if active is False:
        return "active", "you cannot deactivate yourself: another admin can"
    if roles is not None and ADMIN not in roles:
        return "roles", "you cannot give up your own admin role: another admin can"
    return None


def stored_roles(roles: Sequence[str]) -> list[str]:
    """Roles as they are stored: once each, sorted."""
    return sorted({str(role) for role in roles})
