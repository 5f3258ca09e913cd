"""Who may use the warning signs' routes: the roles of ``shared.permissions.MATRIX["warning-signs"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

SignsRead = Annotated[Identity, Depends(require("warning-signs", "read"))]
"""May read the warning signs and the computed risk."""
SignsRefresh = Annotated[Identity, Depends(require("warning-signs", "refresh"))]
"""May run the refresh now (a manager)."""
