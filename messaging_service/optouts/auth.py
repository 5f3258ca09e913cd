"""Who may read, record and remove opt-outs and invalid contacts (``shared.permissions`` MATRIX: ``opt-outs``; an
invalid contact is a suppression like an opt-out, so the same resource)."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

OptOutRead = Annotated[Identity, Depends(require("opt-outs", "read"))]
OptOutWrite = Annotated[Identity, Depends(require("opt-outs", "write"))]
OptOutDelete = Annotated[Identity, Depends(require("opt-outs", "delete"))]
