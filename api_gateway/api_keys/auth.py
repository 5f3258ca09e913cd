"""Who may see, make and revoke the tenant's API keys (``api-keys`` in ``shared.permissions.MATRIX``)."""

from typing import Annotated

from fastapi import Depends

from api_gateway.identity.principal import Principal, require

ApiKeyRead = Annotated[Principal, Depends(require("api-keys", "read"))]
ApiKeyWrite = Annotated[Principal, Depends(require("api-keys", "write"))]
