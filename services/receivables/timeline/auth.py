"""Who may use the timeline routes: the roles of ``shared.permissions.MATRIX["timeline"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

TimelineRead = Annotated[Identity, Depends(require("timeline", "read"))]
"""May read a customer's timeline."""
