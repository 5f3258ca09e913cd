"""Who may rebuild dunning's projection of receivables. The roles are in ``shared.permissions.MATRIX``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ProjectionResync = Annotated[Identity, Depends(require("dunning-projection", "resync"))]
