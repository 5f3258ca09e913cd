"""Who may use the payment plans routes: the roles of ``shared.permissions.MATRIX["payment-plans"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

PlanRead = Annotated[Identity, Depends(require("payment-plans", "read"))]
"""May read plans and their KPIs."""
PlanPropose = Annotated[Identity, Depends(require("payment-plans", "propose"))]
"""May propose a plan: staff (source collector), the ERP's keys (erp), the portal (``service:portal``)."""
PlanDecide = Annotated[Identity, Depends(require("payment-plans", "decide"))]
"""May accept or reject a proposed plan."""
PlanCancel = Annotated[Identity, Depends(require("payment-plans", "cancel"))]
"""May cancel a plan (an accepted one is ended, its invoices restored)."""
PlanReview = Annotated[Identity, Depends(require("payment-plans", "review"))]
"""May run the broken-plan detection now."""
