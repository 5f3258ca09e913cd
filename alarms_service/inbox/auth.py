"""Who has an inbox (``shared.permissions``: ``alarm-inbox``): people with a login, each reading and acknowledging
only their own items."""

import uuid
from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require
from shared.problems import Forbidden

InboxRead = Annotated[Identity, Depends(require("alarm-inbox", "read"))]
InboxAcknowledge = Annotated[Identity, Depends(require("alarm-inbox", "acknowledge"))]


def owner(identity: Identity) -> uuid.UUID:
    """The user whose inbox this is: a person's own (a key or a service has none)."""
    if identity.user_id is None:
        raise Forbidden("Only a user has an alarms inbox")
    return identity.user_id
