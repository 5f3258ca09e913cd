"""Who may read and change the tenant's portal settings: the matrix's ``tenant-settings`` (everyone reads,
managers change)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

SettingsRead = Annotated[Identity, Depends(require("tenant-settings", "read"))]
SettingsWrite = Annotated[Identity, Depends(require("tenant-settings", "write"))]
