import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples
from shared.contracts.common import ChargeLine, InvoiceLine, Person


class StatementCustomer(BaseModel):
    id: uuid.UUID
    external_id: str | None
    name: str
    tax_id: str | None
    country: str | None
    language: str | None


class StatementLine(InvoiceLine):
    bucket: str = Field(description="Aging bucket: current, 1-30, 31-60, 61-90, 91-120, 120+")
    promised_date: date | None = None
    reported_date: date | None = None


class StatementCredit(BaseModel):
    kind: str = Field(description="credit_note or unapplied_payment (an over-payment)")
    reference: str | None
    currency: str
    amount: Decimal
    date: date


class StatementAging(BaseModel):
    currency: str
    buckets: dict[str, Decimal]


class StatementTotal(BaseModel):
    currency: str
    open_amount: Decimal
    overdue_amount: Decimal
    credit: Decimal
    balance: Decimal = Field(description="Open amount minus credit, in this currency")
    amount_due: Decimal = Field(
        description="What the reminders ask for: overdue and demanded (invoices under a promise, a reported payment "
        "or a dispute excluded) minus credits, never below 0"
    )


class StatementPayment(BaseModel):
    date: date
    reference: str | None = Field(description="The payment's reference, or the number of the credit note applied")
    invoice: str = Field(description="Number of the open invoice it went to")
    currency: str
    amount: Decimal


class StatementChargeTotal(BaseModel):
    currency: str
    amount: Decimal = Field(description="The open late charges of this currency")


class StatementOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.STATEMENT_OUT]})

    customer: StatementCustomer
    company: str | None
    as_of: date
    invoices: list[StatementLine]
    credits: list[StatementCredit]
    payments: list[StatementPayment] = Field(
        description="Payments and credit notes applied to the open invoices (not reversed), oldest first"
    )
    aging: list[StatementAging]
    totals: list[StatementTotal]
    charges: list[ChargeLine] = Field(
        default_factory=list,
        description="Open late charges (issue 19), oldest first: documents of their own, not in the invoices' totals",
    )
    charge_totals: list[StatementChargeTotal] = Field(
        default_factory=list, description="The open late charges' total per currency (never added across currencies)"
    )
    overdue_count: int = Field(description="Overdue invoices that are demanded (not paused)")
    oldest_days_overdue: int | None = Field(description="Days overdue of the oldest demanded overdue invoice")
    collector: Person | None = None
    advisor: Person | None = None
    supervisor: Person | None = None
