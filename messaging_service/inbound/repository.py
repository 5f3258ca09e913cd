"""Queries of the way back: the message a callback or a reply is about, replies stored and listed."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.models import Message, Reply, TenantSettings
from messaging_service.settings import MessagingSettings
from shared.pagination import keyset


async def message_in_tenant(session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID) -> Message | None:
    return await session.scalar(select(Message).where(Message.tenant_id == tenant_id, Message.id == message_id))


async def latest_message_to(session: AsyncSession, tenant_id: uuid.UUID, channel: str, address: str) -> Message | None:
    """The latest message we sent to an address on a channel: what an inbound message most likely answers."""
    return await session.scalar(
        select(Message)
        .where(Message.tenant_id == tenant_id, Message.channel == channel, Message.to_address == address)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )


async def insert_reply(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """Store a reply; None when the provider delivered the same inbound message before (same external id)."""
    statement = (
        insert(Reply)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "channel", "external_id"])
        .returning(Reply.id)
    )
    return await session.scalar(statement)


async def list_replies(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    channel: str | None,
    after: list[Any] | None,
    limit: int,
) -> list[Reply]:
    """Newest first, by (received_at, id)."""
    query = select(Reply).where(Reply.tenant_id == tenant_id)
    if customer_id is not None:
        query = query.where(Reply.customer_id == customer_id)
    if channel is not None:
        query = query.where(Reply.channel == channel)
    query = keyset(
        query, [Reply.received_at, Reply.id], [datetime.fromisoformat, uuid.UUID], after, limit, newest_first=True
    )
    return list((await session.scalars(query)).all())


async def message_for_callback(
    session: AsyncSession,
    tenant_ids: list[uuid.UUID],
    channel: str,
    provider_id: str | None,
    ours: str | None,
) -> tuple[Message | None, bool]:
    """The message a status callback is about, locked, and whether the lookup was by our own id (the row then
    exists since acceptance: not finding it means it never will be found)."""
    query = select(Message).where(Message.tenant_id.in_(tenant_ids), Message.channel == channel).with_for_update()
    if ours:
        try:
            our_id = uuid.UUID(ours)
        except ValueError:
            return None, True
        return await session.scalar(query.where(Message.id == our_id)), True
    if not provider_id:
        return None, True
    return await session.scalar(query.where(Message.provider_message_id == provider_id)), False


async def message_by_provider_id(
    session: AsyncSession, tenant_id: uuid.UUID, channel: str, provider_id: str
) -> uuid.UUID | None:
    return await session.scalar(
        select(Message.id).where(
            Message.tenant_id == tenant_id, Message.channel == channel, Message.provider_message_id == provider_id
        )
    )


async def tenants_that_wrote_to(
    session: AsyncSession, tenant_ids: list[uuid.UUID], channel: str, address: str
) -> list[uuid.UUID]:
    """The tenants that wrote to this number (one app may serve several); the first tenant when none did."""
    found = await session.scalars(
        select(Message.tenant_id)
        .where(Message.tenant_id.in_(tenant_ids), Message.channel == channel, Message.to_address == address)
        .distinct()
    )
    return list(found.all()) or tenant_ids[:1]


async def email_message(session: AsyncSession, message_ids: list[uuid.UUID]) -> Message | None:
    """The first of these ids that is an email of ours, locked (a bounce or a reply names it; any tenant)."""
    if not message_ids:
        return None
    query = select(Message).where(Message.id.in_(message_ids), Message.channel == "email").with_for_update()
    found = {message.id: message for message in (await session.scalars(query)).all()}
    return next((found[i] for i in message_ids if i in found), None)


async def whatsapp_tenants(
    session: AsyncSession, settings: MessagingSettings, tenant_id: uuid.UUID | None, phone_ids: set[str]
) -> list[TenantSettings]:
    """The tenants a WhatsApp webhook may be for: the one in the URL, else those owning its phone numbers."""
    if tenant_id is not None:
        tenant = await session.get(TenantSettings, tenant_id)
        return [tenant] if tenant is not None else []
    owner = TenantSettings.channels["whatsapp"]["provider"]["phone_number_id"].astext
    conditions = [owner.in_(phone_ids)] if phone_ids else []
    if settings.dev_whatsapp_phone_number_id in phone_ids:
        conditions.append(TenantSettings.sandbox.is_(True))  # a sandbox tenant's WhatsApp is the sandbox number
        if settings.development:
            conditions.append(TenantSettings.channels["whatsapp"]["provider"].is_(None))
            conditions.append(~TenantSettings.channels.has_key("whatsapp"))
    if not conditions:
        return []
    return list((await session.scalars(select(TenantSettings).where(or_(*conditions)))).all())


async def verify_token_owned(session: AsyncSession, token: str) -> bool:
    """Whether some tenant set this WhatsApp verify token (the platform-wide webhook URL names no tenant)."""
    owner = TenantSettings.secrets["whatsapp_verify_token"].astext
    return bool(await session.scalar(select(TenantSettings.tenant_id).where(owner == token).limit(1)))
