"""Who may use the tenant settings routes: the roles of ``shared.permissions.MATRIX["tenant-settings"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

SettingsRead = Annotated[Identity, Depends(require("tenant-settings", "read"))]
"""May read the tenant's receivables settings."""
SettingsWrite = Annotated[Identity, Depends(require("tenant-settings", "write"))]
"""May change them."""
