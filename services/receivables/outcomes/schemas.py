import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.receivables import examples
from services.receivables.outcomes.rules import ContactChannel, Excuse, OutcomeKind
from services.receivables.people.schemas import DisputeAreaOut
from services.receivables.tasks.schemas import TaskOut


class OutcomeCreate(BaseModel):
    """One personal contact and its result (seed 000), recorded with all its side effects in one call."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "7b1d6a8e-8a4f-4f7e-9a39-6a3a3b8e2f10",
                    "kind": "promise_to_pay",
                    "channel": "phone",
                    "spoke_with": "Marisol (tesorería)",
                    "excuse": "forgetting",
                    "note": "El gerente estaba de vacaciones; presenta la factura hoy y paga mañana. #vacaciones",
                    "invoice_ids": [],
                    "promised_date": "2026-11-25",
                }
            ]
        }
    )

    customer_id: uuid.UUID | None = Field(None, description="The customer (or `customer_external_id`)")
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )
    kind: OutcomeKind
    channel: ContactChannel = ContactChannel.PHONE
    spoke_with: str | None = Field(None, max_length=200, description="Who was spoken to (seed 004: ¿con quién?)")
    excuse: Excuse | None = Field(None, description="Why it has not paid (seed 004: the five reasons, or other)")
    note: str | None = Field(None, max_length=5000, description="What was said and agreed; #hashtags categorise it")
    invoice_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="The invoices it covers; empty: all open invoices"
    )
    invoice_external_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=500, description="The ERP's ids of the invoices, instead of `invoice_ids`"
    )
    promised_date: date | None = Field(None, description="promise_to_pay: the date promised (not in the past)")
    reported_date: date | None = Field(None, description="payment_reported: when it says it paid (default today)")
    reported_reference: str | None = Field(None, max_length=120, description="payment_reported: receipt, transfer")
    dispute_area_id: uuid.UUID | None = Field(None, description="dispute: the area responsible for resolving it")
    follow_up_days: int | None = Field(None, description="no_commitment: days to the follow-up task (tenant default)")
    task_assignee_id: uuid.UUID | None = Field(None, description="Who gets the task; default the customer's collector")
    closes_task_id: uuid.UUID | None = Field(
        None,
        description="The open task of the customer this contact answers (a dunning call step's task): it is done, "
        "completed when the contact happened. `task_id` in the answer is the follow-up task the outcome creates",
    )
    occurred_at: AwareDatetime | None = Field(
        None,
        description="When the contact happened (default now on the tenant's clock; not in the future, not before "
        "the invoices it names were issued): a call logged a day late is recorded as yesterday, and the promise's "
        "horizon, the follow-up's due date and the timeline read that date",
    )


class OutcomeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.OUTCOME_OUT]})

    id: uuid.UUID
    customer_id: uuid.UUID
    kind: OutcomeKind
    channel: ContactChannel
    spoke_with: str | None
    excuse: Excuse | None
    note: str | None
    hashtags: list[str]
    invoice_ids: list[uuid.UUID]
    promised_date: date | None
    reported_date: date | None
    reported_reference: str | None
    dispute_area_id: uuid.UUID | None
    task_id: uuid.UUID | None
    note_id: uuid.UUID | None
    message_requested: bool = Field(description="could not reach: an email with the invoices was asked for")
    message_skipped: str | None = Field(None, description="Why no email was asked for (no valid email, opt-out)")
    collector_id: uuid.UUID | None
    recorded_by: str
    recorded_by_user_id: uuid.UUID | None
    recorded_at: datetime = Field(description="When it was written (the system's clock)")
    occurred_at: datetime = Field(description="When the contact happened, on the tenant's calendar")


class OutcomeRecordedOut(OutcomeOut):
    """The outcome with what it did: the follow-up task and the dispute area with its responsible."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.OUTCOME_RECORDED_OUT]})

    task: TaskOut | None = None
    dispute_area: DisputeAreaOut | None = None
