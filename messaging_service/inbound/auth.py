"""Who may read what customers wrote back (``shared.permissions`` MATRIX: ``replies``)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ReplyRead = Annotated[Identity, Depends(require("replies", "read"))]
