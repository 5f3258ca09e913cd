"""Who may read and manage webhook endpoints (``shared.permissions``: ``webhook-endpoints``): integrations read
them (never a secret), admins change them."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

EndpointsRead = Annotated[Identity, Depends(require("webhook-endpoints", "read"))]
EndpointsWrite = Annotated[Identity, Depends(require("webhook-endpoints", "write"))]
