"""Who may read the messages sent and resend a failed one (``shared.permissions`` MATRIX: ``messages``)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

MessageRead = Annotated[Identity, Depends(require("messages", "read"))]
MessageResend = Annotated[Identity, Depends(require("messages", "resend"))]
