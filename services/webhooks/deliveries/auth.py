"""Who may read the delivery log and events, and send pings and replays (``shared.permissions``:
``webhook-deliveries``): admins and integrations (an ERP that was down replays what it missed)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

DeliveriesRead = Annotated[Identity, Depends(require("webhook-deliveries", "read"))]
DeliveriesReplay = Annotated[Identity, Depends(require("webhook-deliveries", "replay"))]
