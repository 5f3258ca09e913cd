"""Who may see and move a sandbox tenant's test clock (``test-clock`` in ``shared.permissions.MATRIX``)."""

from typing import Annotated

from fastapi import Depends

from api_gateway.identity.principal import Principal, require

TestClockRead = Annotated[Principal, Depends(require("test-clock", "read"))]
TestClockWrite = Annotated[Principal, Depends(require("test-clock", "write"))]
