"""Per-tenant messaging settings: the profile templates read (seed 004's payment instructions, how to notify a
payment, collections contacts), and per channel its contact window, frequency cap and provider.

Secrets (SMTP password, Twilio auth token, WhatsApp access token, app secret, verify token) are write-only: a
PATCH sets them (``null`` clears them), a GET only says whether they are set.
"""

from datetime import time
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from messaging_service import examples
from shared.validation import E164Phone, EmailAddress

Text = Field(None, max_length=300)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuietHours(Strict):
    """The contact window in the customer's time zone: messages outside it wait for the next opening."""

    start: str = Field(examples=["08:00"], description="Local time the window opens (HH:MM)")
    end: str = Field(examples=["20:00"], description="Local time it closes; before `start` means across midnight")
    days: list[int] = Field(
        default=[1, 2, 3, 4, 5, 6, 7], examples=[[1, 2, 3, 4, 5, 6]], description="ISO weekdays it opens (1 = Monday)"
    )

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        try:
            return time.fromisoformat(value).strftime("%H:%M")
        except ValueError:
            raise ValueError("must be a time of day as HH:MM") from None

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if not value or any(d < 1 or d > 7 for d in value):
            raise ValueError("must list ISO weekdays, 1 (Monday) to 7 (Sunday)")
        return sorted(set(value))


class FrequencyCap(Strict):
    """At most `max_messages` per customer on this channel in any `window_days` days; more wait their turn."""

    max_messages: int = Field(ge=1, le=100, examples=[3])
    window_days: int = Field(ge=1, le=31, examples=[7])


class ChannelCommon(Strict):
    enabled: bool | None = None
    quiet_hours: QuietHours | None = Field(None, description="null: no window (messages go at any hour)")
    frequency_cap: FrequencyCap | None = Field(None, description="null: no cap")


class SmtpIn(Strict):
    host: str = Field(max_length=253, examples=["smtp.sendgrid.net"])
    port: int = Field(587, ge=1, le=65535)
    username: str | None = Field(None, max_length=300)
    password: SecretStr | None = Field(None, description="Write-only")
    security: Literal["none", "starttls", "tls"] = "starttls"


class EmailIn(ChannelCommon):
    from_address: EmailAddress | None = None
    from_name: str | None = Text
    reply_to: EmailAddress | None = None
    smtp: SmtpIn | None = Field(None, description="null: the platform's SMTP relay")


class SmsProviderIn(Strict):
    """Twilio Messages API (or a compatible provider at `base_url`)."""

    base_url: str | None = Field(None, max_length=500, examples=["https://api.twilio.com"])
    account_sid: str = Field(max_length=64, examples=["AC0123456789abcdef0123456789abcdef"])
    auth_token: SecretStr | None = Field(None, description="Write-only")
    from_number: E164Phone | None = None
    messaging_service_sid: str | None = Field(None, max_length=64)


class SmsIn(ChannelCommon):
    provider: SmsProviderIn | None = None


class WhatsAppProviderIn(Strict):
    """WhatsApp Business Platform Cloud API."""

    base_url: str | None = Field(None, max_length=500, examples=["https://graph.facebook.com"])
    api_version: str | None = Field(None, max_length=10, examples=["v21.0"])
    phone_number_id: str = Field(max_length=64, examples=["106540352242922"])
    access_token: SecretStr | None = Field(None, description="Write-only")
    app_secret: SecretStr | None = Field(None, description="Write-only; verifies X-Hub-Signature-256")
    verify_token: SecretStr | None = Field(None, description="Write-only; answers the webhook verification")


class WhatsAppIn(ChannelCommon):
    provider: WhatsAppProviderIn | None = None


class CompanyIn(Strict):
    display_name: str | None = Field(None, max_length=300, description="Name in messages (default: the tenant's)")
    legal_name: str | None = Text
    tax_id: str | None = Field(None, max_length=40)
    email: EmailAddress | None = None
    phone: str | None = Field(None, max_length=40)
    website: str | None = Field(None, max_length=300)
    address: str | None = Field(None, max_length=500)
    logo_url: str | None = Field(
        None,
        max_length=500,
        examples=["https://empresa.example/logo.png"],
        description="The company's logo (https), shown on the customer's page (issue 17)",
    )

    @field_validator("logo_url")
    @classmethod
    def _https_image(cls, value: str | None) -> str | None:
        """Only https: the customer's page is served over https and loads no mixed content."""
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or any(c.isspace() or c in "\"'<>" for c in value):
            raise ValueError("must be an https URL")
        return value


class CollectionsIn(Strict):
    """Seed 004, principle 7: how to reach the collections department."""

    name: str | None = Field(None, max_length=200, examples=["Andrea Figuera"])
    department: str | None = Field(None, max_length=200, examples=["Departamento de Cobros"])
    email: EmailAddress | None = None
    phone: str | None = Field(None, max_length=40, examples=["+1(829)412-3122"])
    fax: str | None = Field(None, max_length=40)
    office_phone: str | None = Field(None, max_length=40)
    whatsapp: E164Phone | None = None
    hours: str | None = Field(None, max_length=200, examples=["lunes a viernes de 9 a 18"])


class PaymentNotificationIn(Strict):
    """Seed 004, principle 6: what to send to notify a payment, and where."""

    fields: list[str] | None = Field(None, max_length=20, description="null: the defaults of seed 004")
    email: EmailAddress | None = None
    fax: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=40)
    whatsapp: E164Phone | None = None


class ProfileIn(Strict):
    company: CompanyIn | None = None
    collections: CollectionsIn | None = None
    payment_instructions: list[str] | None = Field(
        None,
        max_length=30,
        examples=[["Emitir cheque a nombre de Nimbox Dominicana SRL.", "Banco Mercantil: 0105-0091-58-1094324268"]],
        description="Seed 004, principle 5: every way to pay",
    )
    payment_notification: PaymentNotificationIn | None = None
    portal_url: str | None = Field(
        None,
        max_length=500,
        examples=["https://pagos.empresa.com/c/{external_id}"],
        description="The payment portal; `{customer_id}` and `{external_id}` are replaced per customer",
    )
    statement_formats: list[Literal["pdf", "csv", "html"]] | None = Field(
        None,
        min_length=1,
        max_length=3,
        examples=[["pdf"]],
        description="The account statement attached to overdue and action emails, in these formats (null: pdf and csv)",
    )

    @field_validator("statement_formats")
    @classmethod
    def _formats_once(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("names each format once")
        return value


class SettingsPatch(Strict):
    """Change part of the settings: what is left out stays; `null` clears (a window, a cap, a secret)."""

    profile: ProfileIn | None = None
    email: EmailIn | None = None
    sms: SmsIn | None = None
    whatsapp: WhatsAppIn | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "profile": {
                        "collections": {"name": "Andrea Figuera", "email": "cobros@empresa.com"},
                        "payment_instructions": ["Banco Mercantil: 0105-0091-58-1094324268"],
                    },
                    "sms": {
                        "quiet_hours": {"start": "08:00", "end": "20:00", "days": [1, 2, 3, 4, 5, 6]},
                        "frequency_cap": {"max_messages": 2, "window_days": 7},
                        "provider": {
                            "account_sid": "AC0123456789abcdef0123456789abcdef",
                            "auth_token": "secret",
                            "from_number": "+15005550006",
                        },
                    },
                }
            ]
        },
    )


class SmtpOut(BaseModel):
    host: str
    port: int
    username: str | None
    security: str
    password_set: bool


class ChannelOut(BaseModel):
    enabled: bool
    quiet_hours: QuietHours | None = Field(description="The window in force (the default when none was set)")
    frequency_cap: FrequencyCap | None
    configured: bool = Field(description="Whether messages on this channel can be sent")


class EmailOut(ChannelOut):
    from_address: str
    from_name: str | None
    reply_to: str | None
    smtp: SmtpOut | None = Field(description="The tenant's own SMTP server; null: the platform's relay")


class SmsProviderOut(BaseModel):
    base_url: str | None
    account_sid: str
    from_number: str | None
    messaging_service_sid: str | None
    auth_token_set: bool


class SmsOut(ChannelOut):
    provider: SmsProviderOut | None


class WhatsAppProviderOut(BaseModel):
    base_url: str | None
    api_version: str | None
    phone_number_id: str
    access_token_set: bool
    app_secret_set: bool
    verify_token_set: bool


class WhatsAppOut(ChannelOut):
    provider: WhatsAppProviderOut | None


class WebhooksOut(BaseModel):
    """The URLs to configure at the providers."""

    twilio_status: str
    twilio_inbound: str
    whatsapp: str


class SettingsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.SETTINGS_OUT]})

    profile: ProfileIn = Field(description="As set (null: not set); templates read it")
    sandbox: bool = Field(
        False,
        description="A sandbox tenant (issue 15): its messages go only to the platform's sandbox SMTP server and "
        "provider, never to a real one, and it cannot set its own",
    )
    email: EmailOut
    sms: SmsOut
    whatsapp: WhatsAppOut
    webhooks: WebhooksOut
