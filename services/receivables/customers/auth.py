"""Who may use the customers routes: the roles of ``shared.permissions.MATRIX["customers"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

CustomerRead = Annotated[Identity, Depends(require("customers", "read"))]
"""May read customers (and export them)."""
CustomerWrite = Annotated[Identity, Depends(require("customers", "write"))]
"""May create and change customers."""
CustomerDelete = Annotated[Identity, Depends(require("customers", "delete"))]
"""May delete customers."""
