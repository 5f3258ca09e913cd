"""Who may use the tasks routes: the roles of ``shared.permissions.MATRIX["tasks"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

TaskRead = Annotated[Identity, Depends(require("tasks", "read"))]
"""May read tasks."""
TaskWrite = Annotated[Identity, Depends(require("tasks", "write"))]
"""May create and change tasks."""
