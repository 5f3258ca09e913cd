import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from services.receivables import examples
from shared.contracts.common import Channel
from shared.validation import CountryCode, LanguageCode, TimeZoneName, normalize_email, normalize_phone


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ContactIn(BaseModel):
    channel: Channel
    address: str = Field(min_length=3, max_length=254, examples=["cuentas@cliente.com"])

    @field_validator("address")
    @classmethod
    def _normalize(cls, address: str, info: ValidationInfo) -> str:
        """An email for the email channel, an E.164 number for SMS and WhatsApp (errors name ``address``)."""
        channel = info.data.get("channel")
        return normalize_email(address) if channel == Channel.EMAIL else normalize_phone(address)


class ContactOut(BaseModel):
    channel: Channel
    address: str
    invalid: bool = False


Tag = Field(min_length=1, max_length=60)


class CustomerFilters(BaseModel):
    """The filters of the customer list, also taken by its export (query parameters)."""

    collector_id: uuid.UUID | None = None
    segment: str | None = None
    tag: str | None = None
    q: str | None = Field(None, max_length=100, description="Search in name, tax id and external id")
    advisor_id: uuid.UUID | None = None
    vip: bool | None = None
    risk_level: RiskLevel | None = Field(None, description="The ERP's label")
    computed_risk_level: RiskLevel | None = Field(None, description="Computed from the warning signs (issue 18)")
    has_overdue: bool | None = Field(
        None, description="With (true) or without (false) an invoice past due at the tenant's today"
    )


class CustomerFields(BaseModel):
    """What an ERP or a person may set on a customer (all optional, for PATCH)."""

    external_id: str | None = Field(None, max_length=100, examples=["C-000123"])
    name: str | None = Field(None, min_length=1, max_length=300, examples=["Distribuidora del Sur S.A."])
    tax_id: str | None = Field(None, max_length=40, examples=["30-71234567-8"])
    country: CountryCode | None = None
    timezone: TimeZoneName | None = None
    language: LanguageCode | None = None
    segment: str | None = Field(None, max_length=60, examples=["wholesale"])
    vip: bool | None = None
    risk_level: RiskLevel | None = None
    tags: list[str] | None = Field(None, max_length=50, examples=[["north", "key-account"]])
    contacts: list[ContactIn] | None = Field(None, max_length=20)
    opted_out_channels: list[Channel] | None = None
    collector_id: uuid.UUID | None = None
    advisor_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _clean_tags(self) -> "CustomerFields":
        if self.tags is not None:
            tags = [t.strip().lower() for t in self.tags]
            if any(not t or len(t) > 60 for t in tags):
                raise ValueError("tags must have 1 to 60 characters")
            self.tags = sorted(set(tags))
        return self


class CustomerCreate(CustomerFields):
    name: str = Field(min_length=1, max_length=300, examples=["Distribuidora del Sur S.A."])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "external_id": "C-000123",
                    "name": "Distribuidora del Sur S.A.",
                    "tax_id": "30-71234567-8",
                    "country": "AR",
                    "timezone": "America/Argentina/Buenos_Aires",
                    "language": "es",
                    "segment": "wholesale",
                    "vip": False,
                    "risk_level": "medium",
                    "tags": ["north"],
                    "contacts": [
                        {"channel": "email", "address": "pagos@delsur.com.ar"},
                        {"channel": "whatsapp", "address": "+5491155551234"},
                    ],
                }
            ]
        }
    )


class CustomerUpdate(CustomerFields):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CUSTOMER_UPDATE]})

    pass


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.CUSTOMER_OUT]})

    id: uuid.UUID
    revision: int
    external_id: str | None
    name: str
    tax_id: str | None
    country: str | None
    timezone: str | None
    language: str | None
    segment: str | None
    vip: bool
    risk_level: str | None = Field(description="The ERP's label")
    computed_risk_level: str | None = Field(
        None, description="Computed from payment behaviour (warning signs): low, medium, high; None until refreshed"
    )
    computed_risk_reasons: list[str] = Field(default_factory=list, description="Why the computed risk level")
    tags: list[str]
    contacts: list[ContactOut]
    opted_out_channels: list[str]
    collector_id: uuid.UUID | None
    advisor_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


def merge_contacts(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The new contacts, keeping the ``invalid`` mark of an address that was already found invalid."""
    invalid = {(c["channel"], c["address"]) for c in old if c.get("invalid")}
    return [{**c, "invalid": c.get("invalid", False) or (c["channel"], c["address"]) in invalid} for c in new]


def contact_rows(contacts: list[ContactIn]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for c in contacts:
        seen[(c.channel.value, c.address)] = {
            "channel": c.channel.value,
            "address": c.address,
            "invalid": False,
        }
    return list(seen.values())
