import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


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


class TimelineEntryOut(BaseModel):
    id: uuid.UUID
    occurred_at: datetime
    kind: TimelineKind
    invoice_id: uuid.UUID | None = None
    ref_id: uuid.UUID | None = Field(None, description="The outcome, note, task, payment, message or reply it is about")
    summary: str = Field(examples=["Promise to pay by 2026-12-05 (2 invoices)"])
    data: dict[str, Any] = Field(default_factory=dict, description="The details, by kind")
    actor: str | None = Field(None, description="Who did it: user:<id>, apikey:<id>, service:<name>")


class HistoryEntryOut(BaseModel):
    id: uuid.UUID
    occurred_at: datetime
    kind: TimelineKind
    summary: str
    data: dict[str, Any]
    actor: str | None = None
