"""Who may read the failed-login alarms (``shared.permissions``: ``login-alerts``; admins only: they name accounts
and addresses)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

LoginAlertsRead = Annotated[Identity, Depends(require("login-alerts", "write"))]
