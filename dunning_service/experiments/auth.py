"""Who may read and run strategy experiments (the strategies' editors write them). The roles are in
``shared.permissions.MATRIX``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

ExperimentRead = Annotated[Identity, Depends(require("strategy-experiments", "read"))]
ExperimentWrite = Annotated[Identity, Depends(require("strategy-experiments", "write"))]
