import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from messaging_service import examples
from shared.contracts.common import Channel
from shared.contracts.messaging import Communication, CommunicationKind
from shared.validation import LanguageCode

EXAMPLE_SUBJECT = "Recordatorio de pago {{ company.name }} ({{ total }})"
EXAMPLE_TEXT = (
    "Estimado/a {{ recipient_name }}:\n\nReciba un cordial saludo de parte de {{ company.name }}. "
    "Tiene {{ overdue_count }} facturas vencidas por {{ total }}; la más antigua con {{ days_overdue_text }}.\n"
    "{% for invoice in invoices %}- {{ invoice.number }}: {{ invoice.open_amount }}\n{% endfor %}"
)


class TemplateFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200, examples=["Recordatorio amable (es)"])
    description: str | None = Field(None, max_length=2000)
    subject: str | None = Field(None, max_length=2000, examples=[EXAMPLE_SUBJECT], description="Email only")
    body_text: str | None = Field(
        None,
        max_length=100_000,
        examples=[EXAMPLE_TEXT],
        description="Email text part; the SMS text; the WhatsApp text shown in the timeline",
    )
    body_html: str | None = Field(None, max_length=200_000, description="Email HTML part (autoescaped)")
    whatsapp_template: str | None = Field(
        None, max_length=512, examples=["cobranza_overdue_1"], description="Name of the approved WhatsApp template"
    )
    whatsapp_language: str | None = Field(None, max_length=10, examples=["es_AR"])
    whatsapp_parameters: list[str] | None = Field(
        None,
        max_length=20,
        examples=[["{{ recipient_name }}", "{{ company.name }}", "{{ total }}"]],
        description="One template per body variable of the approved template ({{1}}, {{2}}, ...)",
    )
    active: bool | None = None


class TemplateCreate(TemplateFields):
    """A tenant's template: it replaces the shipped default of the same kind, channel, language and tone."""

    kind: CommunicationKind
    channel: Channel
    language: LanguageCode
    tone: int | None = Field(None, ge=1, le=3, description="1 friendly, 2 concerned, 3 firm; null: every tone")
    name: str = Field(min_length=1, max_length=200, examples=["Recordatorio amable (es)"])
    body_text: str = Field(max_length=100_000, examples=[EXAMPLE_TEXT])

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "overdue",
                    "channel": "email",
                    "language": "es",
                    "tone": 1,
                    "name": "Recordatorio amable",
                    "subject": EXAMPLE_SUBJECT,
                    "body_text": EXAMPLE_TEXT,
                    "body_html": "<p>Estimado/a {{ recipient_name }}:</p><p>Saldo vencido: {{ total }}</p>",
                }
            ]
        },
    )


class TemplateUpdate(TemplateFields):
    """Change some fields; kind, channel, language and tone stay."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.TEMPLATE_UPDATE]})


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.TEMPLATE_OUT]})

    id: uuid.UUID
    kind: CommunicationKind
    channel: Channel
    language: str
    tone: int | None
    name: str
    description: str | None
    subject: str | None
    body_text: str
    body_html: str | None
    whatsapp_template: str | None
    whatsapp_language: str | None
    whatsapp_parameters: list[str]
    active: bool
    revision: int
    created_at: datetime
    updated_at: datetime

    @field_validator("tone", mode="before")
    @classmethod
    def _tone(cls, value: int | None) -> int | None:
        return value or None


class DefaultTemplateOut(BaseModel):
    """A shipped template: copy it into a tenant template to change it."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.DEFAULT_TEMPLATE_OUT]})

    ref: str = Field(examples=["default:overdue/email/es/1"])
    kind: CommunicationKind
    channel: Channel
    language: str
    tone: int
    name: str
    subject: str | None
    body_text: str
    body_html: str | None
    whatsapp_template: str | None
    whatsapp_language: str | None
    whatsapp_parameters: list[str]


class TagOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.TAG_OUT]})

    name: str = Field(examples=["advisor"])
    description: str
    attributes: list[str] = Field(examples=[["name", "email", "phone", "whatsapp", "whatsapp_link"]])


class PreviewIn(BaseModel):
    """What to render: a saved template, the template in force for a kind/channel/language/tone, or sources sent
    here; with sample data, a communication (real data) or the data of a message already sent."""

    template_id: uuid.UUID | None = None
    kind: CommunicationKind | None = None
    channel: Channel | None = None
    language: LanguageCode | None = None
    tone: int | None = Field(None, ge=1, le=3)
    subject: str | None = Field(None, max_length=2000)
    body_text: str | None = Field(None, max_length=100_000)
    body_html: str | None = Field(None, max_length=200_000)
    whatsapp_parameters: list[str] | None = Field(None, max_length=20)
    communication: Communication | None = Field(None, description="Real data: the command's shape")
    message_id: uuid.UUID | None = Field(None, description="Real data: the data of this message")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "overdue", "channel": "email", "language": "es", "tone": 2}]},
    )


class RenderedWhatsApp(BaseModel):
    """A WhatsApp template message as rendered: the approved template and its body parameters."""

    name: str | None
    language: str | None
    parameters: list[str]


class PreviewOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PREVIEW_OUT]})

    template_ref: str = Field(examples=["default:overdue/email/es/2"])
    subject: str | None
    body_text: str
    body_html: str | None
    whatsapp: RenderedWhatsApp | None
    data: dict[str, Any] = Field(
        description="The template context rendered (sample or real data): an open object by design, its keys are "
        "the template tags (`GET /v1/templates/tags`) plus whatever extra data the communication carried"
    )
