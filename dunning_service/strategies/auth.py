"""Who may read and edit strategies. The roles are in ``shared.permissions.MATRIX``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

StrategyRead = Annotated[Identity, Depends(require("strategies", "read"))]
StrategyWrite = Annotated[Identity, Depends(require("strategies", "write"))]
