"""Who may ask for the experiments' facts: the services (dunning), as ``shared.permissions.MATRIX["internal"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ServiceCall = Annotated[Identity, Depends(require("internal", "call"))]
