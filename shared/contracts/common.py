"""Value types used by more than one contract."""

import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from shared.money import Currency


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"


class InvoiceStatus(StrEnum):
    """Seed 000: Normal, Promesa de Pago, Pago Informado, Disputa; plus the closed states."""

    NORMAL = "normal"
    PROMISE_TO_PAY = "promise_to_pay"
    PAYMENT_REPORTED = "payment_reported"
    DISPUTE = "dispute"
    PAID = "paid"
    WRITTEN_OFF = "written_off"
    VOID = "void"


OPEN_STATUSES = frozenset(
    {
        InvoiceStatus.NORMAL,
        InvoiceStatus.PROMISE_TO_PAY,
        InvoiceStatus.PAYMENT_REPORTED,
        InvoiceStatus.DISPUTE,
    }
)


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    INSTALLMENT = "installment"
    PROMISSORY_NOTE = "promissory_note"
    CREDIT_NOTE = "credit_note"


class Person(BaseModel):
    """Someone a message can name or point to: collector, business advisor, supervisor (seed 002)."""

    id: uuid.UUID | None = None
    name: str
    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None


class ContactPoint(BaseModel):
    channel: Channel
    address: str  # an email address, or an E.164 phone number
    invalid: bool = False


class MoneyAmount(BaseModel):
    currency: Currency
    amount: Decimal


class InvoiceLine(BaseModel):
    """An invoice as a message shows it.

    In a dunning communication the list is the customer's whole open position (issue 12): ``triggered`` marks the
    invoices that reached the step that caused the message, ``demanded`` is False for paused ones (promise, payment
    reported, dispute), which are listed with their status and dates but not asked for.
    """

    invoice_id: uuid.UUID
    number: str
    kind: InvoiceKind = InvoiceKind.INVOICE
    currency: Currency
    amount: Decimal
    open_amount: Decimal
    issue_date: date
    due_date: date
    days_overdue: int  # negative: days left to the due date
    status: InvoiceStatus = InvoiceStatus.NORMAL
    document_url: str | None = None
    triggered: bool = False
    demanded: bool = True
    promised_date: date | None = None
    reported_date: date | None = None
