"""Who may use the external ids routes: the roles of ``shared.permissions.MATRIX["external-ids"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ExternalIdRead = Annotated[Identity, Depends(require("external-ids", "read"))]
"""May look up the ERP's ids."""
