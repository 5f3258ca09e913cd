"""Who may read a debtor's receipt: whoever may read what debtors did (``portal-actions`` read)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ReceiptsRead = Annotated[Identity, Depends(require("portal-actions", "read"))]
