"""Who may ask for a script's check: the services' own signed calls (``shared.permissions`` MATRIX: ``internal``)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ServiceCall = Annotated[Identity, Depends(require("internal", "call"))]
