import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.gateway import examples
from shared.money import Currency
from shared.validation import CountryCode, EmailAddress, LanguageCode, TimeZoneName


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SUPERVISOR = "supervisor"
    COLLECTOR = "collector"
    INTEGRATION = "integration"


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


class UserCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.USER_CREATE]})

    email: EmailAddress
    full_name: str = Field(min_length=1, max_length=200, examples=["Carla Cobradora"])
    password: str = Field(min_length=10, max_length=200)
    roles: list[Role] = Field(min_length=1, examples=[["collector"]])


class UserUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.USER_UPDATE]})

    full_name: str | None = Field(None, min_length=1, max_length=200)
    roles: list[Role] | None = Field(None, min_length=1)
    active: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.USER_OUT]})

    id: uuid.UUID
    email: str
    full_name: str
    roles: list[str]
    active: bool
    created_at: datetime


class TenantCreated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.TENANT_CREATED]})

    tenant: TenantOut
    admin: UserOut


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.API_KEY_CREATE]})

    name: str = Field(min_length=1, max_length=120, examples=["ERP SAP production"])
    roles: list[Role] = Field(default_factory=lambda: [Role.INTEGRATION], min_length=1)
    rate_limit_per_minute: int | None = Field(None, ge=1, le=1_000_000)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.API_KEY_OUT]})

    id: uuid.UUID
    name: str
    prefix: str
    roles: list[str]
    rate_limit_per_minute: int
    created_by: str = Field(
        description="Who made the key (`user:<id>` or `apikey:<id>`): the key never answers with more roles than "
        "its creator may grant at the time, and stops working when its creator is deactivated or revoked"
    )
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.API_KEY_CREATED]})

    key: str = Field(description="The secret key. Shown only now: store it safely.")


class TokenRequest(BaseModel):
    """The OAuth2 token request (RFC 6749 §4.3 and §6), form-encoded."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "grant_type": "password",
                    "tenant": "distribuidora-andina",
                    "username": "lucia.fernandez@andina.com.ar",
                    "password": "correct-horse-battery",
                },
                {"grant_type": "refresh_token", "refresh_token": "rt_3k9Qz7vXbW2mL8pN4sT1yU6"},
            ]
        }
    )

    grant_type: Literal["password", "refresh_token"] = Field(
        "password", description="`password` (the default) or `refresh_token`"
    )
    username: str | None = Field(None, description="The user's email (password grant)")
    password: str | None = Field(None, description="The user's password (password grant)")
    tenant: str | None = Field(None, description="The tenant's slug (password grant)")
    client_id: str | None = Field(None, description="Alias of `tenant` for OAuth2 clients")
    refresh_token: str | None = Field(None, description="The refresh token to trade (refresh grant)")


class RevokeRequest(BaseModel):
    """The OAuth2 revocation request (RFC 7009), form-encoded."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"token": "rt_3k9Qz7vXbW2mL8pN4sT1yU6", "token_type_hint": "refresh_token"}]}
    )

    token: str = Field(description="The refresh token to revoke")
    token_type_hint: str | None = Field(None, description="`refresh_token` (others are ignored)")


class TokenOut(BaseModel):
    """The OAuth2 token response (RFC 6749 §5.1)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.TOKEN_OUT]})

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds the access token is valid")
    refresh_token: str = Field(
        description="Trade it for a new access token (`grant_type=refresh_token`): it is spent then, and the answer "
        "carries the next one. Using a spent one again revokes every token of this login."
    )
    refresh_expires_in: int = Field(description="Seconds the refresh token is valid if not used")


class MeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ME_OUT]})

    tenant_id: uuid.UUID
    actor: str
    roles: list[str]
