"""Who may read and change the tenant's webhook settings, and make the operator's service-only call.

The settings follow the endpoints' rights (``webhook-endpoints``: admins and integrations read, admins change), not
the matrix's ``tenant-settings`` (everyone reads, managers change): they are part of the integration's set-up.
"""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

SettingsRead = Annotated[Identity, Depends(require("webhook-endpoints", "read"))]
SettingsWrite = Annotated[Identity, Depends(require("webhook-endpoints", "write"))]
ServiceCall = Annotated[Identity, Depends(require("internal", "call"))]
