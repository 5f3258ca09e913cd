"""Who may use the ingest routes: the roles of ``shared.permissions.MATRIX["imports"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ImportWrite = Annotated[Identity, Depends(require("imports", "write"))]
"""May load the ERP's batches and files."""
