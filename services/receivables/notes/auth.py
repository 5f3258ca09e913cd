"""Who may use the notes routes: the roles of ``shared.permissions.MATRIX["notes"]``."""

from typing import Annotated

from fastapi import Depends

from shared.identity import Identity
from shared.permissions import require

NoteRead = Annotated[Identity, Depends(require("notes", "read"))]
"""May read notes."""
NoteWrite = Annotated[Identity, Depends(require("notes", "write"))]
"""May write notes."""
