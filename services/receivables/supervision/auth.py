"""Who may use the supervision routes: the roles of ``shared.permissions.MATRIX["supervision"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

SupervisionRead = Annotated[Identity, Depends(require("supervision", "read"))]
"""May read the supervisor's views of the collectors."""
