"""Who may use the charges routes: the roles of ``shared.permissions.MATRIX["charges"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ChargeRead = Annotated[Identity, Depends(require("charges", "read"))]
"""May read late charges."""
ChargeWaive = Annotated[Identity, Depends(require("charges", "waive"))]
"""May forgive a late charge, with a reason (managers)."""
ChargeInvoice = Annotated[Identity, Depends(require("charges", "invoice"))]
"""May say the ERP invoiced a late charge (the ERP's keys)."""
