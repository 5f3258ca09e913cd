"""Who may read the digests and runs, and run the alarms (``shared.permissions``: ``alarm-runs``), and who reads
every digest of the tenant rather than only their own."""

import uuid
from typing import Annotated

from fastapi import Depends

from shared.identity import ADMIN, INTEGRATION, MANAGER, SERVICE, SUPERVISOR, Identity
from shared.permissions import require

AlarmsRead = Annotated[Identity, Depends(require("alarm-runs", "read"))]
AlarmsRun = Annotated[Identity, Depends(require("alarm-runs", "run"))]

# A collector reads only the digests addressed to them; these roles read every digest of the tenant.
SEES_ALL = frozenset({ADMIN, MANAGER, SUPERVISOR, INTEGRATION, SERVICE})


def own_digests_only(identity: Identity) -> uuid.UUID | None:
    """The user whose digests ``identity`` may read, or None for every digest of the tenant."""
    return None if identity.has_any(SEES_ALL) else (identity.user_id or uuid.UUID(int=0))
