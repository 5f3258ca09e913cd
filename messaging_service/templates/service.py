"""Tenant templates: checked before they are saved, previewed with sample or real data."""

import re
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from jinja2 import TemplateError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery import repository as delivery_repository
from messaging_service.delivery.acceptance import tenant_view
from messaging_service.delivery.rendering import render_source, resolve, source_from_row
from messaging_service.models import Template
from messaging_service.templates import renders, repository
from messaging_service.templates.checks import check
from messaging_service.templates.context import TenantView, build_context, tone_for
from messaging_service.templates.defaults import TemplateSource
from messaging_service.templates.samples import SAMPLE_PORTAL_LINK, SAMPLE_PROFILE, sample_communication
from messaging_service.templates.schemas import PreviewIn, PreviewOut, TemplateCreate, TemplateUpdate
from messaging_service.tenant_settings import repository as tenant_settings_repository
from shared.contracts.common import Channel
from shared.contracts.messaging import Communication, CommunicationKind
from shared.problems import Conflict, NotFound, ValidationProblem

WHATSAPP_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
SAMPLE_UNSUBSCRIBE = "https://cobranza.example/webhooks/messaging/unsubscribe/sample"


async def tenant_of(session: AsyncSession, tenant_id: uuid.UUID) -> TenantView:
    row = await tenant_settings_repository.load(session, tenant_id)
    return tenant_view(row) if row is not None else TenantView(name="")


def _sample_view(tenant: TenantView) -> TenantView:
    """The tenant's own profile where it has one, the sample's elsewhere: a check exercises every section."""
    return TenantView(
        name=tenant.name or "Nimbox",
        country=tenant.country,
        timezone=tenant.timezone,
        language=tenant.language,
        profile={**SAMPLE_PROFILE, **(tenant.profile or {})},
        portal_enabled=tenant.portal_enabled,
    )


EDITABLE = ("subject", "body_text", "body_html", "whatsapp_template", "whatsapp_parameters")


def template_values(template: Template) -> dict[str, Any]:
    """What ``validate`` checks of a saved template."""
    return {name: getattr(template, name) for name in EDITABLE}


async def validate(
    tenant_id: uuid.UUID,
    kind: str,
    channel: str,
    language: str,
    tone: int,
    values: dict[str, Any],
    tenant: TenantView,
    partials: Mapping[str, str],
) -> None:
    """422 naming each field whose template is wrong: syntax, unknown tags, an include of anything but one of the
    tenant's ``partials``, or failing on sample data (rendered under the engine's limits, in a render thread: a
    breach names the limit)."""
    errors: list[dict[str, str]] = []
    sources: dict[str, tuple[str, bool]] = {}
    for name in ("subject", "body_text", "body_html"):
        if values.get(name) is not None:
            sources[name] = (values[name], name == "body_html")
    for index, parameter in enumerate(values.get("whatsapp_parameters") or []):
        sources[f"whatsapp_parameters[{index}]"] = (parameter, False)
    if channel == Channel.EMAIL and not values.get("subject"):
        errors.append({"field": "subject", "message": "an email template needs a subject"})
    if channel == Channel.WHATSAPP:
        template_name = values.get("whatsapp_template")
        if not template_name:
            errors.append({"field": "whatsapp_template", "message": "a WhatsApp template names its approved template"})
        elif not WHATSAPP_NAME.match(template_name):
            errors.append({"field": "whatsapp_template", "message": "lowercase letters, digits and underscores only"})
    for field, (source, html) in sources.items():
        problems = check(source, html=html, partials=partials.keys())
        errors.extend({"field": field, "message": problem} for problem in problems)
    if not errors:
        communication = sample_communication(
            tenant.clock.today(), CommunicationKind(kind), language, channel
        ).model_copy(update={"tone": tone or None})
        context = build_context(
            communication,
            _sample_view(tenant),
            language=language,
            today=tenant.clock.today(),
            unsubscribe_url=SAMPLE_UNSUBSCRIBE,
            portal_link=SAMPLE_PORTAL_LINK,
        )
        for field, (source, _html) in sources.items():
            try:
                single = _single(field, source, channel, partials)
                await renders.render(tenant_id, render_source, single, channel, context)
            except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
                errors.append({"field": field, "message": f"does not render with sample data: {exc}"})
    if errors:
        raise ValidationProblem(errors)


def _single(field: str, source: str, channel: str, partials: Mapping[str, str]) -> TemplateSource:
    """A template made of one field, to render it alone."""
    parameters = (source,) if field.startswith("whatsapp_parameters") else ()
    return TemplateSource(
        kind="",
        channel=channel,
        language="",
        tone=0,
        name="check",
        subject=source if field == "subject" else None,
        body_text=source if field == "body_text" else "",
        body_html=source if field == "body_html" else None,
        whatsapp_parameters=parameters,
        partials=partials,
    )


async def create(session: AsyncSession, tenant_id: uuid.UUID, data: TemplateCreate) -> Template:
    values = data.model_dump(exclude={"kind", "channel", "language", "tone"})
    await validate(
        tenant_id,
        data.kind.value,
        data.channel.value,
        data.language,
        data.tone or 0,
        values,
        await tenant_of(session, tenant_id),
        await delivery_repository.tenant_partials(session, tenant_id),
    )
    template = Template(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        kind=data.kind.value,
        channel=data.channel.value,
        language=data.language,
        tone=data.tone or 0,
        revision=1,
        name=data.name,
        description=data.description,
        subject=data.subject,
        body_text=data.body_text,
        body_html=data.body_html,
        whatsapp_template=data.whatsapp_template,
        whatsapp_language=data.whatsapp_language,
        whatsapp_parameters=list(data.whatsapp_parameters or []),
        active=True if data.active is None else data.active,
    )
    session.add(template)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(
            "The tenant already has a template for this kind, channel, language and tone: change that one"
        ) from None
    await session.refresh(template)
    return template


async def get(session: AsyncSession, tenant_id: uuid.UUID, template_id: uuid.UUID, lock: bool = False) -> Template:
    template = await repository.find_template(session, tenant_id, template_id, lock)
    if template is None:
        raise NotFound("Template not found")
    return template


async def update(session: AsyncSession, tenant_id: uuid.UUID, template_id: uuid.UUID, data: TemplateUpdate) -> Template:
    template = await get(session, tenant_id, template_id, lock=True)
    changes = data.model_dump(exclude_unset=True)
    for required in ("name", "body_text", "active"):
        if required in changes and changes[required] is None:
            raise ValidationProblem.field(required, "may not be null")
    merged = {name: changes.get(name, value) for name, value in template_values(template).items()}
    await validate(
        tenant_id,
        template.kind,
        template.channel,
        template.language,
        template.tone,
        merged,
        await tenant_of(session, tenant_id),
        await delivery_repository.tenant_partials(session, tenant_id),
    )
    for name, value in changes.items():
        setattr(template, name, list(value or []) if name == "whatsapp_parameters" else value)
    template.revision += 1
    await session.flush()
    await session.refresh(template)
    return template


async def delete(session: AsyncSession, tenant_id: uuid.UUID, template_id: uuid.UUID) -> None:
    """The shipped default takes over again; messages keep what they rendered."""
    await session.delete(await get(session, tenant_id, template_id))
    await session.flush()


async def list_templates(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    kind: str | None,
    channel: str | None,
    language: str | None,
) -> list[Template]:
    return await repository.list_templates(
        session, tenant_id, limit=limit, after=after, kind=kind, channel=channel, language=language
    )


async def preview(session: AsyncSession, tenant_id: uuid.UUID, data: PreviewIn) -> PreviewOut:
    tenant = await tenant_of(session, tenant_id)
    communication = await _preview_data(session, tenant_id, data, tenant.clock.today())
    channel = (data.channel or communication.channel).value
    kind = (data.kind or communication.kind).value
    language = data.language or (communication.language if communication.language in ("es", "en", "pt") else "es")
    tone = data.tone or tone_for(communication)
    communication = communication.model_copy(update={"tone": tone})
    inline = any(v is not None for v in (data.subject, data.body_text, data.body_html, data.whatsapp_parameters))
    partials = await delivery_repository.tenant_partials(session, tenant_id)
    if data.template_id is not None:
        row = await get(session, tenant_id, data.template_id)
        source = source_from_row(row, partials)
        channel, kind, language = row.channel, row.kind, row.language
    elif inline:
        values = data.model_dump(include={"subject", "body_text", "body_html", "whatsapp_parameters"})
        values["whatsapp_template"] = "preview" if channel == Channel.WHATSAPP else None
        if channel == Channel.EMAIL and not values.get("subject"):
            values["subject"] = ""
        await validate(
            tenant_id, kind, channel, language, tone, {**values, "subject": values["subject"] or "x"}, tenant, partials
        )
        source = TemplateSource(
            kind,
            channel,
            language,
            tone,
            "preview",
            subject=values.get("subject"),
            body_text=values.get("body_text") or "",
            body_html=values.get("body_html"),
            whatsapp_template=values["whatsapp_template"],
            whatsapp_parameters=tuple(values.get("whatsapp_parameters") or ()),
            ref="preview",
            partials=partials,
        )
    else:
        templates = await delivery_repository.template_index(session, tenant_id, partials)
        source = resolve(templates, kind, channel, language, tone)
    view = tenant if data.message_id or data.communication else _sample_view(tenant)
    context = build_context(
        communication.model_copy(update={"channel": Channel(channel), "kind": CommunicationKind(kind)}),
        view,
        language=language,
        today=tenant.clock.today(),
        unsubscribe_url=SAMPLE_UNSUBSCRIBE,
        portal_link=SAMPLE_PORTAL_LINK if tenant.portal_enabled else None,
    )
    try:
        rendered = await renders.render(tenant_id, render_source, source, channel, context)
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise ValidationProblem.field("template", f"does not render with this data: {exc}") from None
    return PreviewOut(
        template_ref=source.ref,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        whatsapp=rendered.whatsapp,
        data=communication.model_dump(mode="json"),
    )


async def _preview_data(session: AsyncSession, tenant_id: uuid.UUID, data: PreviewIn, today: date) -> Communication:
    if data.message_id is not None:
        payload = await repository.message_payload(session, tenant_id, data.message_id)
        if not payload:
            raise NotFound("Message not found (or its data was purged)")
        return Communication.model_validate(payload)
    if data.communication is not None:
        return data.communication
    return sample_communication(
        today, data.kind or CommunicationKind.OVERDUE, data.language or "es", (data.channel or Channel.EMAIL).value
    )
