"""Who may use the promises routes: the roles of ``shared.permissions.MATRIX["promises"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

PromiseRead = Annotated[Identity, Depends(require("promises", "read"))]
"""May read promises."""
PromiseReview = Annotated[Identity, Depends(require("promises", "review"))]
"""May look for broken promises."""
