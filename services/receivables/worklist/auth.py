"""Who may use the worklist routes: the roles of ``shared.permissions.MATRIX["worklist"]``.

``worklist.read`` gives one's own list (a collector's desk). Another collector's list, a team's or the whole
portfolio's is supervision: the roles of ``supervision.read``, asked by the service with ``check_supervises``.
"""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import Permission, allowed_roles, require
from shared.problems import Forbidden

WorklistRead = Annotated[Identity, Depends(require("worklist", "read"))]
"""May read a worklist (one's own at least)."""

SUPERVISING = Permission("supervision", "read")


def check_supervises(identity: Identity, what: str) -> None:
    """A 403 unless the caller may read others' work (``supervision.read``)."""
    roles = allowed_roles(SUPERVISING)
    if not identity.has_any(roles):
        raise Forbidden(f"{what} needs one of the roles: {', '.join(sorted(roles))}")
