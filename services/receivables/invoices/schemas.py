import uuid
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.receivables import examples
from shared.contracts.common import InvoiceKind, InvoiceStatus
from shared.money import Currency, minor_units

Amount = Field(ge=0, max_digits=18, examples=["1250.50"])


@lru_cache(maxsize=512)
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Money with exactly the currency's decimals (precision was checked first: nothing is rounded)."""
    return amount.quantize(_quantum(currency))


def money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` with the currency's decimals; more decimals than the currency has are refused, not rounded.
    (The same rule as ``shared.money.check_precision``, at a tenth of its cost: bulk rows have many amounts.)"""
    exact = amount.quantize(_quantum(currency))
    if exact != amount:
        raise ValueError(f"{amount} has more decimals than {currency} allows ({minor_units(currency)})")
    return exact


class InvoiceFields(BaseModel):
    """What an invoice is; field validators name the field at fault (amount precision, dates)."""

    external_id: str | None = Field(None, min_length=1, max_length=100)
    number: str = Field(min_length=1, max_length=60)
    kind: InvoiceKind = InvoiceKind.INVOICE
    currency: Currency
    amount: Decimal = Amount
    open_amount: Decimal | None = Field(None, ge=0, max_digits=18, description="Defaults to the amount")
    issue_date: date
    due_date: date
    document_url: str | None = Field(None, max_length=500)
    applies_to: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="A credit note: the invoices it settles (ids or the ERP's external ids), in order; empty: the "
        "customer's open invoices in its currency, oldest first",
    )

    @field_validator("applies_to")
    @classmethod
    def _credit_notes_only(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if value and info.data.get("kind") != InvoiceKind.CREDIT_NOTE:
            raise ValueError("only a credit note names the invoices it settles")
        if any(not 0 < len(v) <= 100 for v in value):
            raise ValueError("each entry is an invoice id or external id (1 to 100 characters)")
        return value

    @field_validator("amount", "open_amount")
    @classmethod
    def _precision(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        currency = info.data.get("currency")
        if value is None or currency is None:
            return value
        return money(value, currency)

    @field_validator("open_amount")
    @classmethod
    def _open_within_amount(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        amount = info.data.get("amount")
        if value is not None and amount is not None and value > amount:
            raise ValueError("cannot exceed the amount")
        return value

    @field_validator("due_date")
    @classmethod
    def _due_after_issue(cls, value: date, info: ValidationInfo) -> date:
        issued = info.data.get("issue_date")
        if issued is not None and value < issued:
            raise ValueError("cannot be before the issue date")
        return value

    @property
    def open(self) -> Decimal:
        return self.amount if self.open_amount is None else self.open_amount


class InvoiceCreate(InvoiceFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "7b1d6a8e-8a4f-4f7e-9a39-6a3a3b8e2f10",
                    "external_id": "FC-A-0001-00012345",
                    "number": "A-0001-00012345",
                    "kind": "invoice",
                    "currency": "ARS",
                    "amount": "150000.00",
                    "issue_date": "2026-11-01",
                    "due_date": "2026-12-01",
                    "document_url": "https://erp.example/invoices/12345.pdf",
                }
            ]
        }
    )

    customer_id: uuid.UUID | None = Field(None, description="The customer (or `customer_external_id`)")
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )


class InvoiceUpdate(BaseModel):
    """Corrections a person may make; amounts change through the ERP's ingestion and through payments."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.INVOICE_UPDATE]})

    number: str | None = Field(None, min_length=1, max_length=60)
    issue_date: date | None = None
    due_date: date | None = None
    document_url: str | None = Field(None, max_length=500)


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "dispute", "dispute_area_id": examples.AREA_ID, "reason": "Wrong quantities billed"}
            ]
        }
    )

    status: InvoiceStatus
    promised_date: date | None = Field(None, description="promise_to_pay: the date the customer promised")
    reported_date: date | None = Field(None, description="payment_reported: the date it says it paid (default today)")
    dispute_area_id: uuid.UUID | None = Field(None, description="dispute: the area responsible for resolving it")
    reason: str | None = Field(None, max_length=300, description="Why: kept in the invoice's history")


class InvoiceFilters(BaseModel):
    """The filters of the invoice list, also taken by its export (query parameters)."""

    customer_id: uuid.UUID | None = None
    status: list[InvoiceStatus] | None = Field(None, description="Repeatable: any of these statuses")
    overdue: bool | None = Field(None, description="Owed and past due at the tenant's today")
    currency: str | None = Field(None, min_length=3, max_length=3)
    kind: InvoiceKind | None = None
    collector_id: uuid.UUID | None = None
    due_from: date | None = None
    due_to: date | None = None
    q: str | None = Field(None, max_length=100, description="Search in the number and external id")


class InvoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.INVOICE_OUT]})

    id: uuid.UUID
    revision: int
    customer_id: uuid.UUID
    external_id: str | None
    number: str
    kind: InvoiceKind
    currency: str
    amount: Decimal
    open_amount: Decimal
    issue_date: date
    due_date: date
    days_overdue: int = Field(description="Days past the due date at the tenant's today; negative: days left")
    document_url: str | None
    status: InvoiceStatus
    promised_date: date | None
    reported_date: date | None
    dispute_area_id: uuid.UUID | None
    closed_on: date | None
    applies_to: list[str] = Field(default_factory=list, description="A credit note: the invoices it settles")
    plan_id: uuid.UUID | None = Field(
        None, description="An installment's payment plan, or the plan an `in_plan` invoice waits in (issue 19)"
    )
    created_at: datetime
    updated_at: datetime
