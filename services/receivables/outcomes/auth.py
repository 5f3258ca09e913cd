"""Who may use the outcomes routes: the roles of ``shared.permissions.MATRIX["outcomes"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

OutcomeRead = Annotated[Identity, Depends(require("outcomes", "read"))]
"""May read outcomes."""
OutcomeWrite = Annotated[Identity, Depends(require("outcomes", "write"))]
"""May record outcomes."""
