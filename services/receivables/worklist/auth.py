"""Who may use the worklist routes: the roles of ``shared.permissions.MATRIX["worklist"]``.

``read``: one's own list (a collector's desk); ``team``: another collector's list or one's team; ``all``: the whole
portfolio's. The route depends on ``read``; the service asks ``may`` for the wider scopes.
"""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import Permission, allowed_roles, require
from shared.problems import Forbidden

WorklistRead = Annotated[Identity, Depends(require("worklist", "read"))]
"""May read a worklist (one's own at least)."""


def check(identity: Identity, action: str, what: str) -> None:
    """A 403 unless the caller's roles have ``action`` on the worklist (``team``, ``all``)."""
    roles = allowed_roles(Permission("worklist", action))
    if not identity.has_any(roles):
        raise Forbidden(f"{what} needs one of the roles: {', '.join(sorted(roles))}")
