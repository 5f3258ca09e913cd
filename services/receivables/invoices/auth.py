"""Who may use the invoices routes: the roles of ``shared.permissions.MATRIX["invoices"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

InvoiceRead = Annotated[Identity, Depends(require("invoices", "read"))]
"""May read invoices (and export them)."""
InvoiceWrite = Annotated[Identity, Depends(require("invoices", "write"))]
"""May create and change invoices."""
InvoiceStatusWrite = Annotated[Identity, Depends(require("invoices", "status"))]
"""May change an invoice's status."""
