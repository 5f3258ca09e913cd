"""Who may read and change the tenant's dunning settings. The roles are in ``shared.permissions.MATRIX``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

SettingsRead = Annotated[Identity, Depends(require("tenant-settings", "read"))]
SettingsWrite = Annotated[Identity, Depends(require("tenant-settings", "write"))]
