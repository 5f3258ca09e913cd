import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api_gateway import examples
from api_gateway.users.schemas import UserOut
from shared.money import Currency
from shared.validation import CountryCode, EmailAddress, LanguageCode, TimeZoneName


class AdminUserIn(BaseModel):
    email: EmailAddress
    full_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=10, max_length=200)


class TenantCreate(BaseModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$", examples=["acme-ar"])
    name: str = Field(min_length=1, max_length=200, examples=["Acme Argentina S.A."])
    country: CountryCode
    timezone: TimeZoneName
    default_currency: Currency
    language: LanguageCode = "es"
    sandbox: bool = Field(
        False,
        description="A sandbox tenant, for rehearsing and integrating: it never reaches real providers (its "
        "messages go to the local or configured sandbox peers) and it may have a test clock (`/v1/test-clock`). "
        "Fixed for the tenant's life.",
    )
    admin: AdminUserIn

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "acme-ar",
                    "name": "Acme Argentina S.A.",
                    "country": "AR",
                    "timezone": "America/Argentina/Buenos_Aires",
                    "default_currency": "ARS",
                    "language": "es",
                    "admin": {
                        "email": "admin@acme.com.ar",
                        "full_name": "Ana Admin",
                        "password": "cambiar-esto-123",
                    },
                }
            ]
        }
    )


class TenantUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.TENANT_UPDATE]})

    name: str | None = Field(None, min_length=1, max_length=200)
    country: CountryCode | None = None
    timezone: TimeZoneName | None = None
    default_currency: Currency | None = None
    language: LanguageCode | None = None


class TenantWebhookSettings(BaseModel):
    """What the platform operator decides about a tenant's webhooks."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"allow_private_urls": True}]})

    allow_private_urls: bool = Field(description="Endpoints may be on private, loopback or link-local addresses")


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.TENANT_OUT]})

    id: uuid.UUID
    slug: str
    name: str
    country: str
    timezone: str
    default_currency: str
    language: str
    active: bool
    sandbox: bool = Field(description="A sandbox tenant never reaches real providers and may have a test clock")
    test_clock: datetime | None = Field(
        description="A sandbox tenant's test clock (`/v1/test-clock`); null: the wall clock"
    )
    created_at: datetime


class TenantCreated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.TENANT_CREATED]})

    tenant: TenantOut
    admin: UserOut
