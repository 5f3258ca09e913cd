"""Who may ask who they are (``identity`` in ``shared.permissions.MATRIX``): every caller of a tenant."""

from typing import Annotated

from fastapi import Depends

from api_gateway.identity.principal import Principal, require

IdentityRead = Annotated[Principal, Depends(require("identity", "read"))]
