import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from services.receivables import examples
from services.receivables.invoices.schemas import money
from shared.money import Currency


class AllocationIn(BaseModel):
    """An invoice the payer names, by id or by the ERP's external id; the amount for it, or up to its open amount."""

    invoice_id: uuid.UUID | None = None
    invoice_external_id: str | None = Field(None, min_length=1, max_length=100)
    amount: Decimal | None = Field(None, gt=0, max_digits=18)

    @model_validator(mode="after")
    def _one_reference(self) -> "AllocationIn":
        if (self.invoice_id is None) == (self.invoice_external_id is None):
            raise ValueError("name the invoice by invoice_id or by invoice_external_id (one of them)")
        return self


class PaymentFields(BaseModel):
    currency: Currency
    amount: Decimal = Field(gt=0, max_digits=18, examples=["50000.00"])
    payment_date: date
    reference: str | None = Field(None, max_length=120, examples=["Transferencia 23763172736"])
    invoices: list[AllocationIn] | None = Field(
        None, max_length=500, description="Invoices to pay, in order; none: the oldest open invoices first"
    )

    @field_validator("amount")
    @classmethod
    def _precision(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        currency = info.data.get("currency")
        return money(value, currency) if currency else value

    @field_validator("invoices")
    @classmethod
    def _allocations(cls, value: list[AllocationIn] | None, info: ValidationInfo) -> list[AllocationIn] | None:
        currency, amount = info.data.get("currency"), info.data.get("amount")
        if not value or currency is None:
            return value
        for item in value:
            if item.amount is not None:
                item.amount = money(item.amount, currency)
        named = sum((i.amount for i in value if i.amount is not None), Decimal(0))
        if amount is not None and named > amount:
            raise ValueError("the amounts named for invoices exceed the payment amount")
        return value


class PaymentCreate(PaymentFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "7b1d6a8e-8a4f-4f7e-9a39-6a3a3b8e2f10",
                    "external_id": "REC-000981",
                    "currency": "ARS",
                    "amount": "50000.00",
                    "payment_date": "2026-11-20",
                    "reference": "Transferencia 23763172736",
                    "invoices": [{"invoice_external_id": "FC-A-0001-00012345"}],
                }
            ]
        }
    )

    customer_id: uuid.UUID | None = Field(None, description="The paying customer (or `customer_external_id`)")
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )
    external_id: str | None = Field(None, min_length=1, max_length=100)


class PaymentReverse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Cheque rechazado"}]})

    reason: str = Field(min_length=1, max_length=300)


class AllocationOut(BaseModel):
    invoice_id: uuid.UUID
    invoice_number: str
    amount: Decimal
    reversed: bool


class PaymentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PAYMENT_OUT]})

    id: uuid.UUID
    revision: int
    customer_id: uuid.UUID
    external_id: str | None
    currency: str
    amount: Decimal
    unapplied_amount: Decimal = Field(description="Over-payment kept as the customer's credit")
    payment_date: date
    reference: str | None
    status: str = Field(description="applied or reversed")
    reversed_on: date | None
    reversal_reason: str | None
    allocations: list[AllocationOut] = []
    created_at: datetime
    updated_at: datetime
