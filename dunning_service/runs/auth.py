"""Who may read dunning runs and start them. The roles are in ``shared.permissions.MATRIX``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

RunRead = Annotated[Identity, Depends(require("dunning-runs", "read"))]
RunStart = Annotated[Identity, Depends(require("dunning-runs", "run"))]
# messaging asking for a run's communications (``POST /internal/dispatched-communications``)
ServiceCall = Annotated[Identity, Depends(require("internal", "call"))]
