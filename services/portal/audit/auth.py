"""Who may read what debtors did on their pages (``shared.permissions``: ``portal-actions``)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ActionsRead = Annotated[Identity, Depends(require("portal-actions", "read"))]
