"""Who may see and change the tenant's people (``users`` in ``shared.permissions.MATRIX``), and who may look users
up on the internal API (the services' own signed calls: ``internal``)."""

from typing import Annotated

from fastapi import Depends

from api_gateway.identity.principal import Principal, require
from shared import permissions
from shared.identity import Identity

UserRead = Annotated[Principal, Depends(require("users", "read"))]
UserWrite = Annotated[Principal, Depends(require("users", "write"))]
InternalCall = Annotated[Identity, Depends(permissions.require("internal", "call"))]
