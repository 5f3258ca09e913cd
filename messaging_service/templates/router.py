import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from messaging_service.templates import service
from messaging_service.templates.auth import TemplateRead, TemplateWrite
from messaging_service.templates.checks import ListOf, normalize_type
from messaging_service.templates.defaults import all_defaults
from messaging_service.templates.schemas import (
    DefaultTemplateOut,
    PreviewIn,
    PreviewOut,
    TagOut,
    TemplateCreate,
    TemplateOut,
    TemplateUpdate,
)
from messaging_service.templates.tags import TAGS, attributes
from shared.contracts.common import Channel
from shared.contracts.messaging import CommunicationKind
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page, page_of
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/templates", tags=["templates"], responses=problem_responses(401, 403, 422))


@router.get("/tags", response_model=Page[TagOut])
async def list_template_tags(identity: TemplateRead, params: PageDep) -> dict[str, Any]:
    """Every tag a template may use, with its attributes (an unknown one is refused when a template is saved)."""
    out = []
    for name, (kind, description) in TAGS.items():
        kind = normalize_type(kind)
        item = kind.item if isinstance(kind, ListOf) else kind
        known = attributes(item) if isinstance(item, type) else None
        out.append(TagOut(name=name, description=description, attributes=sorted(known or ())))
    return page_of(out, params, key=lambda tag: [tag.name], types=(str,))


@router.get("/defaults", response_model=Page[DefaultTemplateOut])
async def list_default_templates(
    identity: TemplateRead,
    params: PageDep,
    kind: CommunicationKind | None = None,
    channel: Channel | None = None,
    language: Annotated[str | None, Query(pattern="^(es|en|pt)$")] = None,
    tone: Annotated[int | None, Query(ge=1, le=3)] = None,
) -> dict[str, Any]:
    """The shipped templates (Spanish, English, Portuguese; every kind, channel and tone), to copy and adapt, by
    `ref`."""
    out = []
    for (k, c, lang, t), source in all_defaults().items():
        if (kind and k != kind.value) or (channel and c != channel.value) or (language and lang != language):
            continue
        if tone and t != tone:
            continue
        out.append(
            DefaultTemplateOut(
                ref=source.ref,
                kind=k,
                channel=c,
                language=lang,
                tone=t,
                name=source.name,
                subject=source.subject,
                body_text=source.body_text,
                body_html=source.body_html,
                whatsapp_template=source.whatsapp_template,
                whatsapp_language=source.whatsapp_language,
                whatsapp_parameters=list(source.whatsapp_parameters),
            )
        )
    return page_of(out, params, key=lambda template: [template.ref], types=(str,))


@router.post("/preview", response_model=PreviewOut, responses=problem_responses(404, 429))
async def preview_template(identity: TemplateRead, data: PreviewIn, session: SessionDep) -> PreviewOut:
    """Render a template (saved, in force, or sent here) with sample data, a communication, or a message's data."""
    return await service.preview(session, identity.tenant_id, data)


@router.post("", response_model=TemplateOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 429))
async def create_template(identity: TemplateWrite, data: TemplateCreate, session: SessionDep) -> TemplateOut:
    """Override a shipped template. Checked first: a syntax error or an unknown tag is a 422 naming it."""
    return TemplateOut.model_validate(await service.create(session, identity.tenant_id, data))


@router.get("", response_model=Page[TemplateOut])
async def list_templates(
    identity: TemplateRead,
    session: SessionDep,
    page: PageDep,
    kind: CommunicationKind | None = None,
    channel: Channel | None = None,
    language: Annotated[str | None, Query(pattern="^(es|en|pt)$")] = None,
) -> dict[str, Any]:
    """The tenant's own templates (the shipped ones are at `/v1/templates/defaults`)."""
    rows = await service.list_templates(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        kind=kind.value if kind else None,
        channel=channel.value if channel else None,
        language=language,
    )
    return make_page(
        rows,
        page.limit,
        key=lambda t: [t.kind, t.channel, t.language, t.tone, t.id],
        item=TemplateOut.model_validate,
    )


@router.get("/{template_id}", response_model=TemplateOut, responses=problem_responses(404))
async def get_template(identity: TemplateRead, template_id: uuid.UUID, session: SessionDep) -> TemplateOut:
    return TemplateOut.model_validate(await service.get(session, identity.tenant_id, template_id))


@router.patch("/{template_id}", response_model=TemplateOut, responses=problem_responses(404, 429))
async def update_template(
    identity: TemplateWrite, template_id: uuid.UUID, data: TemplateUpdate, session: SessionDep
) -> TemplateOut:
    """Change a template; checked like a new one. New messages use it at once."""
    return TemplateOut.model_validate(await service.update(session, identity.tenant_id, template_id, data))


@router.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404))
async def delete_template(identity: TemplateWrite, template_id: uuid.UUID, session: SessionDep) -> Response:
    """Remove a template: the shipped default applies again."""
    await service.delete(session, identity.tenant_id, template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
