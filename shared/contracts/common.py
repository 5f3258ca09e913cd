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
    # Issue 19: grouped in an accepted payment plan. The plan's installments (invoices of kind ``installment``)
    # carry its debt from then on, so it is neither open (positions, totals, KPIs and reminders count the
    # installments instead) nor closed: a completed plan makes it ``paid``, a broken one ``normal`` again with its
    # own due date (its age as it was) and its open amount net of what the plan collected.
    IN_PLAN = "in_plan"


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


class ChargeKind(StrEnum):
    """Issue 19: how a late charge is computed (Chaser's and ERPNext's late fees and interest)."""

    FIXED = "fixed"  # a fixed amount when the invoice reaches a step
    PERCENTAGE = "percentage"  # a percentage of the invoice's open amount when it reaches a step
    INTEREST = "interest"  # an annual rate for the days overdue, one charge per period


class ChargeStatus(StrEnum):
    OPEN = "open"  # owed, shown in messages and statements
    WAIVED = "waived"  # a manager forgave it, with a reason
    INVOICED = "invoiced"  # the ERP invoiced it: its own invoice carries the debt from then on


class ChargeLine(BaseModel):
    """A late charge as a message or a statement shows it: a document of its own, beside the invoices."""

    charge_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str
    kind: ChargeKind
    description: str
    currency: Currency
    amount: Decimal
    charged_on: date
