"""Events of dunning."""

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from shared.contracts.common import ChargeKind
from shared.messages import Event, register


@register
class ActionItemChanged(Event):
    """An action step reached (suspend service, legal, write off, call): feeds the daily actions alarm."""

    message_type = "dunning.action_item_changed"

    action_item_id: uuid.UUID
    customer_id: uuid.UUID
    customer_external_id: str | None = None  # the ERP's id of the customer (issue 14)
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
    # what this announcement is (issue 14): created, assigned, notice (its notice state moved), resolved
    change: str | None = None


@register
class CalendarChanged(Event):
    """The tenant's company holidays or holiday subdivision changed (dunning's settings): messaging keeps deferred
    messages off them and alarms keeps digests to the same business days. The whole state, not a delta."""

    message_type = "dunning.calendar_changed"

    holiday_subdivision: str | None = None
    company_holidays: list[date] = []


class AssessedCharge(BaseModel):
    """One late charge a run assessed (issue 19): ``key`` is derived from (invoice, rule, period), so assessing the
    same period again, any day, yields the same key and receivables records it once."""

    charge_id: uuid.UUID  # uuid5 of the key in the tenant: the same charge has the same id wherever it is computed
    key: str
    invoice_id: uuid.UUID
    customer_id: uuid.UUID
    kind: ChargeKind
    rule_key: str
    period: str  # the step's key (fixed, percentage) or the interest period ("2026-11")
    strategy_id: uuid.UUID | None = None
    description: str
    currency: str
    amount: Decimal
    charged_on: date  # the run's day


@register
class ChargesAssessed(Event):
    """A run assessed late charges (up to 10,000 a message): receivables records each once, by its key."""

    message_type = "dunning.charges_assessed"

    run_id: uuid.UUID | None = None
    charges: list[AssessedCharge]
