"""Who may use the statements routes: the roles of ``shared.permissions.MATRIX["statements"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

StatementRead = Annotated[Identity, Depends(require("statements", "read"))]
"""May read account statements."""
