"""Rows of the ERP's bulk ingestion, keyed by the ERP's external ids. Each row is validated on its own."""

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.receivables import examples
from services.receivables.customers.schemas import ContactIn, RiskLevel
from services.receivables.invoices.schemas import InvoiceFields
from services.receivables.payments.schemas import PaymentFields
from shared.validation import CountryCode, EmailAddress, LanguageCode, TimeZoneName

Version = Field(
    None,
    ge=0,
    description="The ERP's version of the row (a counter or a timestamp): an older version never overwrites a newer",
)


class CustomerRow(BaseModel):
    """ERP-owned fields are replaced by what the row says; the collector and advisor change only when given."""

    model_config = ConfigDict(extra="ignore")

    external_id: str = Field(min_length=1, max_length=100, examples=["C-000123"])
    name: str = Field(min_length=1, max_length=300)
    tax_id: str | None = Field(None, max_length=40)
    country: CountryCode | None = None
    timezone: TimeZoneName | None = None
    language: LanguageCode | None = None
    segment: str | None = Field(None, max_length=60)
    vip: bool = False
    risk_level: RiskLevel | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)
    collector_id: uuid.UUID | None = None
    collector_email: EmailAddress | None = Field(None, description="The collector by its user's email")
    advisor_id: uuid.UUID | None = None
    advisor_external_id: str | None = Field(None, max_length=100, description="The advisor by its external id")
    version: int | None = Version

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, tags: list[str]) -> list[str]:
        cleaned = sorted({t.strip().lower() for t in tags})
        if any(not t or len(t) > 60 for t in cleaned):
            raise ValueError("tags must have 1 to 60 characters")
        return cleaned


class InvoiceRow(InvoiceFields):
    model_config = ConfigDict(extra="ignore")

    external_id: str = Field(min_length=1, max_length=100, examples=["FC-A-0001-00012345"])
    customer_external_id: str = Field(min_length=1, max_length=100, examples=["C-000123"])
    status: Literal["open", "void", "written_off"] | None = Field(
        None,
        description="void or written_off close the invoice; open reopens a closed one; omitted keeps the status "
        "the collectors set. A zero open amount means paid.",
    )
    version: int | None = Version


class PaymentRow(PaymentFields):
    model_config = ConfigDict(extra="ignore")

    external_id: str = Field(min_length=1, max_length=100, examples=["REC-000981"])
    customer_external_id: str = Field(min_length=1, max_length=100)
    reversed: bool = Field(False, description="true reverses the payment already sent with this external_id")
    reversal_reason: str | None = Field(None, max_length=300)
    version: int | None = Version


class CustomerBatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CUSTOMER_BATCH]})

    items: list[CustomerRow] = Field(description="Up to 10,000 customers")


class InvoiceBatch(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "external_id": "FC-A-0001-00012345",
                            "customer_external_id": "C-000123",
                            "number": "A-0001-00012345",
                            "currency": "ARS",
                            "amount": "150000.00",
                            "open_amount": "150000.00",
                            "issue_date": "2026-11-01",
                            "due_date": "2026-12-01",
                            "version": 1,
                        }
                    ]
                }
            ]
        }
    )

    items: list[InvoiceRow] = Field(description="Up to 10,000 invoices")


class PaymentBatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PAYMENT_BATCH]})

    items: list[PaymentRow] = Field(description="Up to 10,000 payments")


class RowError(BaseModel):
    field: str = Field(examples=["currency"], description="The field at fault (`row` for the row as a whole)")
    reason: str = Field(examples=["Input should be a valid ISO 4217 currency code"])


class RejectedRow(BaseModel):
    """A row not loaded, with every problem found in it: the ERP fixes them all in one go."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "index": 2,
                    "external_id": "FC-A-0001-00012347",
                    "field": "number",
                    "reason": "Field required",
                    "errors": [
                        {"field": "number", "reason": "Field required"},
                        {"field": "currency", "reason": "is not an ISO 4217 currency"},
                        {"field": "due_date", "reason": "Input should be a valid date"},
                    ],
                }
            ]
        }
    )

    index: int = Field(description="Position of the row in `items` (0-based; CSV: data line, 0-based)")
    external_id: str | None = None
    field: str = Field(examples=["due_date"], description="The first field at fault (`errors` lists them all)")
    reason: str = Field(examples=["cannot be before the issue date"], description="What is wrong with `field`")
    errors: list[RowError] = Field(
        default_factory=list, description="Every problem of the row, the first one (`field`, `reason`) included"
    )

    @model_validator(mode="after")
    def _at_least_the_first(self) -> "RejectedRow":
        if not self.errors:
            self.errors = [RowError(field=self.field, reason=self.reason)]
        return self


class IngestResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.INGEST_RESULT]})

    received: int
    created: int
    updated: int
    unchanged: int = Field(description="Same content as stored, or an older version than stored")
    rejected: list[RejectedRow]
    ignored_columns: list[str] = Field(default_factory=list, description="CSV: unknown columns, not read")
