"""Who may use the kpis routes: the roles of ``shared.permissions.MATRIX["kpis"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

KpiRead = Annotated[Identity, Depends(require("kpis", "read"))]
"""May read the KPIs (and export them)."""
