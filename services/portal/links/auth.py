"""Who may see, make and revoke links to customers' pages (``shared.permissions``: ``portal-links``)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

LinksRead = Annotated[Identity, Depends(require("portal-links", "read"))]
LinksWrite = Annotated[Identity, Depends(require("portal-links", "write"))]
LinksRevokeAll = Annotated[Identity, Depends(require("portal-links", "revoke_all"))]
