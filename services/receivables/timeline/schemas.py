import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples

ENTRY_DATA = (
    "The details, by kind: an open object by design (entries are a log, kept as written). Keys per kind: "
    "`status_change`: from, to, reason, promised_date, reported_date, dispute_area_id, outcome_id; "
    "`invoice_updated`: per changed field {from, to}; `payment`: payment_id, external_id, payment_date, amount, "
    "currency, allocations [{invoice_id, number, amount}]; `payment_reversed`: payment_id, reason, restored "
    "[{invoice_id, amount}]; `credit_applied`: source, source_id, allocations; "
    "`credit_undone`: amount, reason; `outcome`: kind, channel, spoke_with, excuse, note, hashtags, invoices; "
    "`note`: body, spoken_with, reason, agreed, hashtags, invoice_ids; `task`: title, status, assignee_id, "
    "due_date; `invoice`: number, kind, currency, amount, issue_date, due_date, external_id; "
    "`charge`: charge_id, key, kind, description, currency, amount, charged_on, status, reason, erp_document."
)


class TimelineKind(StrEnum):
    INVOICE = "invoice"  # an invoice was issued / ingested
    INVOICE_UPDATED = "invoice_updated"  # the ERP changed an invoice
    STATUS_CHANGE = "status_change"
    PAYMENT = "payment"
    PAYMENT_REVERSED = "payment_reversed"
    CREDIT_APPLIED = "credit_applied"  # a credit note or an over-payment settled invoices
    CREDIT_UNDONE = "credit_undone"  # a credit note or an invoice changed: the credit went back
    OUTCOME = "outcome"
    NOTE = "note"
    TASK = "task"
    MESSAGE = "message"  # a message messaging sent, with its delivery status
    REPLY_RECEIVED = "reply_received"  # the customer wrote back (SMS, WhatsApp, email)
    CONTACT = "contact"  # a contact found invalid, an opt-out
    PROMISE = "promise"  # kept or broken
    CUSTOMER = "customer"
    CHARGE = "charge"  # a late charge recorded, waived or invoiced (issue 19)
    PAYMENT_PLAN = "payment_plan"  # issue 19: a plan proposed, accepted, rejected, cancelled, completed or broken


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.TIMELINE_ENTRY_OUT]})

    id: uuid.UUID
    occurred_at: datetime
    kind: TimelineKind
    invoice_id: uuid.UUID | None = None
    ref_id: uuid.UUID | None = Field(None, description="The outcome, note, task, payment, message or reply it is about")
    summary: str = Field(examples=["Promise to pay by 2026-12-05 (2 invoices)"])
    data: dict[str, Any] = Field(default_factory=dict, description=ENTRY_DATA)
    actor: str | None = Field(None, description="Who did it: user:<id>, apikey:<id>, service:<name>")


class HistoryEntryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.HISTORY_ENTRY_OUT]})

    id: uuid.UUID
    occurred_at: datetime
    kind: TimelineKind
    summary: str
    data: dict[str, Any] = Field(description=ENTRY_DATA)
    actor: str | None = None
