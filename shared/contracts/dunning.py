"""Events of dunning."""

import uuid
from datetime import date

from shared.messages import Event, register


@register
class ActionItemChanged(Event):
    """An action step reached (suspend service, legal, write off, call): feeds the daily actions alarm."""

    message_type = "dunning.action_item_changed"
    consumers = ("alarms",)

    action_item_id: uuid.UUID
    customer_id: uuid.UUID
    invoice_ids: list[uuid.UUID]
    action: str
    status: str
    assignee_id: uuid.UUID | None = None
    created_on: date
    resolution: str | None = None
    resolution_reason: str | None = None  # why it was cancelled (or how it was done)
    note: str | None = None  # what the person who created it wrote
    # the action notice's real state (issue 10): pending (messaging holds it), sent, failed; None: no notice
    notice_state: str | None = None
