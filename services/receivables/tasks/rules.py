"""Who follows a task up, and when it is overdue (seed 004, "La promesa como tarea": a task "puede estar dirigida
a otra persona dentro de la organización en cuyo caso hay que definir el supervisor")."""

import uuid
from datetime import date

from shared.problems import ValidationProblem


def supervisor_for(
    assignee_id: uuid.UUID | None, supervisor_id: uuid.UUID | None, caller_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The task's supervisor: the one named; for a task given to someone else without one, the person who gives
    it; an integration (no person) giving a task to someone must name one (422)."""
    if supervisor_id is not None or assignee_id is None or assignee_id == caller_id:
        return supervisor_id
    if caller_id is None:
        raise ValidationProblem.field("supervisor_id", "a task for someone else names its supervisor (seed 004)")
    return caller_id


def is_overdue(status: str, due_date: date | None, today: date) -> bool:
    """Open and due before the tenant's today."""
    return status == "open" and due_date is not None and due_date < today
