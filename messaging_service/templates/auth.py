"""Who may read and edit templates and their partials (``shared.permissions`` MATRIX: ``templates``; partials are
templates' parts, so the same resource)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

TemplateRead = Annotated[Identity, Depends(require("templates", "read"))]
TemplateWrite = Annotated[Identity, Depends(require("templates", "write"))]
