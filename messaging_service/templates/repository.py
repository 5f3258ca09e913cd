"""Queries of the tenant's templates (ORM rows, typed by ``models.Template``) and of the data a preview re-renders."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.models import Message, MessageContent, Template
from shared.pagination import keyset


async def find_template(
    session: AsyncSession, tenant_id: uuid.UUID, template_id: uuid.UUID, lock: bool = False
) -> Template | None:
    query = select(Template).where(Template.tenant_id == tenant_id, Template.id == template_id)
    return await session.scalar(query.with_for_update() if lock else query)


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
    key = (Template.kind, Template.channel, Template.language, Template.tone, Template.id)
    query = select(Template).where(Template.tenant_id == tenant_id)
    for column, value in ((Template.kind, kind), (Template.channel, channel), (Template.language, language)):
        if value:
            query = query.where(column == value)
    query = keyset(query, key, (str, str, str, int, uuid.UUID), after, limit)
    return list((await session.scalars(query)).all())


async def templates_by_name(session: AsyncSession, tenant_id: uuid.UUID) -> list[Template]:
    """Every template of the tenant, by name."""
    return list(
        (await session.scalars(select(Template).where(Template.tenant_id == tenant_id).order_by(Template.name))).all()
    )


async def message_payload(session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID) -> dict[str, Any] | None:
    """The communication a message was rendered from (None: no such message, or its data was purged)."""
    return await session.scalar(
        select(MessageContent.payload)
        .join(Message, Message.id == MessageContent.message_id)
        .where(Message.tenant_id == tenant_id, Message.id == message_id)
    )
