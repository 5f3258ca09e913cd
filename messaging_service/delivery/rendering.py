"""Which template a communication uses, and its rendering for its channel."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from messaging_service.models import Template
from messaging_service.templates.context import TenantView, build_context, tone_for
from messaging_service.templates.defaults import TemplateSource, default_for
from messaging_service.templates.engine import render, render_line
from messaging_service.templates.formatting import normalize_language
from shared.contracts.messaging import Communication

TemplateKey = tuple[str, str, str, int]


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str | None
    body_text: str
    body_html: str | None
    whatsapp: dict[str, Any] | None
    template_ref: str


def source_from_row(row: Template | Any, partials: Mapping[str, str] | None = None) -> TemplateSource:
    return TemplateSource(
        kind=row.kind,
        channel=row.channel,
        language=row.language,
        tone=row.tone,
        name=row.name,
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        whatsapp_template=row.whatsapp_template,
        whatsapp_language=row.whatsapp_language,
        whatsapp_parameters=tuple(row.whatsapp_parameters or ()),
        ref=f"tenant:{row.id}:{row.revision}",
        partials=partials or {},
    )


def index_templates(
    rows: Iterable[Template | Any], partials: Mapping[str, str] | None = None
) -> dict[TemplateKey, TemplateSource]:
    """The tenant's active templates by kind, channel, language and tone, each with the tenant's partials."""
    return {(r.kind, r.channel, r.language, r.tone): source_from_row(r, partials) for r in rows if r.active}


def resolve(
    templates: Mapping[TemplateKey, TemplateSource], kind: str, channel: str, language: str, tone: int
) -> TemplateSource:
    """The tenant's template for this tone, else its template for every tone, else the shipped default."""
    return (
        templates.get((kind, channel, language, tone))
        or templates.get((kind, channel, language, 0))
        or default_for(kind, channel, language, tone)
    )


def language_of(communication: Communication, tenant: TenantView) -> str:
    customer_language = communication.customer.language if communication.customer else None
    return normalize_language(communication.language or customer_language, tenant.language)


def render_source(source: TemplateSource, channel: str, context: dict[str, Any]) -> Rendered:
    """A tenant's template renders under the engine's limits (``TemplateLimit`` past one); a shipped one does not."""
    shipped = source.ref.startswith("default:")
    partials = source.partials
    subject = None
    if source.subject and channel == "email":
        subject = render_line(source.subject, context, shipped=shipped, partials=partials)
    text = render(source.body_text, context, shipped=shipped, partials=partials).strip()
    if channel != "email":
        text = " ".join(text.split())
    html = None
    if source.body_html and channel == "email":
        html = render(source.body_html, context, html=True, shipped=shipped, partials=partials)
    whatsapp = None
    if channel == "whatsapp":
        whatsapp = {
            "name": source.whatsapp_template,
            "language": source.whatsapp_language,
            "parameters": [
                render_line(p, context, shipped=shipped, partials=partials) for p in source.whatsapp_parameters
            ],
        }
    return Rendered(subject, text, html, whatsapp, source.ref)


def render_communication(
    communication: Communication,
    tenant: TenantView,
    templates: Mapping[TemplateKey, TemplateSource],
    *,
    today: date,
    unsubscribe_url: str | None,
    source: TemplateSource | None = None,
    portal_link: str | None = None,
) -> Rendered:
    language = language_of(communication, tenant)
    tone = tone_for(communication)
    chosen = source or resolve(templates, communication.kind.value, communication.channel.value, language, tone)
    context = build_context(
        communication,
        tenant,
        language=language,
        today=today,
        unsubscribe_url=unsubscribe_url,
        portal_link=portal_link,
    )
    return render_source(chosen, communication.channel.value, context)


def unsubscribe_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/webhooks/messaging/unsubscribe/{token}"


def message_id_header(message_id: uuid.UUID, from_address: str) -> str:
    """The ``Message-ID`` we generate and store, so bounces and replies can be matched (RFC 5322)."""
    domain = from_address.rsplit("@", 1)[-1] or "cobranza.localhost"
    return f"<{message_id}@{domain}>"
