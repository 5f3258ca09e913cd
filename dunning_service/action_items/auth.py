"""Who may read, work (resolve) and assign (create, reassign) action items.

The roles are in ``shared.permissions.MATRIX``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ActionItemRead = Annotated[Identity, Depends(require("action-items", "read"))]
ActionItemWork = Annotated[Identity, Depends(require("action-items", "work"))]
ActionItemAssign = Annotated[Identity, Depends(require("action-items", "assign"))]
