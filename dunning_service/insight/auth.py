"""Who may read explain and forecast. The roles are in ``shared.permissions.MATRIX``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

InsightRead = Annotated[Identity, Depends(require("insight", "read"))]
