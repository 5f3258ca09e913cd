"""Who may use the payments routes: the roles of ``shared.permissions.MATRIX["payments"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

PaymentRead = Annotated[Identity, Depends(require("payments", "read"))]
"""May read payments."""
PaymentWrite = Annotated[Identity, Depends(require("payments", "write"))]
"""May apply and reverse payments."""
