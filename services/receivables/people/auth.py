"""Who may use the people routes: the roles of ``shared.permissions.MATRIX["people"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

PeopleRead = Annotated[Identity, Depends(require("people", "read"))]
"""May read people and dispute areas."""
PeopleWrite = Annotated[Identity, Depends(require("people", "write"))]
"""May change people and dispute areas."""
