import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import Note
from services.receivables.notes.schemas import NoteOut
from shared.pagination import keyset

notes = Note.__table__


async def insert_note(session: AsyncSession, values: Mapping[str, Any]) -> NoteOut:
    row = (await session.execute(insert(notes).values(**values).returning(notes))).mappings().one()
    return NoteOut.model_validate(dict(row))


async def get_note(session: AsyncSession, tenant_id: uuid.UUID, note_id: uuid.UUID) -> NoteOut | None:
    row = (
        (await session.execute(select(notes).where(notes.c.tenant_id == tenant_id, notes.c.id == note_id)))
        .mappings()
        .first()
    )
    return None if row is None else NoteOut.model_validate(dict(row))


async def list_notes(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    customer_id: uuid.UUID | None,
    hashtag: str | None,
    reason: str | None,
    author_user_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
) -> list[NoteOut]:
    """Newest first (by when they happened, on the tenant's calendar)."""
    query = select(notes).where(notes.c.tenant_id == tenant_id)
    if customer_id:
        query = query.where(notes.c.customer_id == customer_id)
    if hashtag:
        query = query.where(notes.c.hashtags.contains([hashtag.lstrip("#").lower()]))
    if reason:
        query = query.where(notes.c.reason == reason)
    if author_user_id:
        query = query.where(notes.c.author_user_id == author_user_id)
    if date_from:
        query = query.where(notes.c.occurred_at >= datetime.combine(date_from, datetime.min.time()))
    if date_to:
        query = query.where(notes.c.occurred_at < datetime.combine(date_to + timedelta(days=1), datetime.min.time()))
    query = keyset(
        query, (notes.c.occurred_at, notes.c.id), (datetime.fromisoformat, uuid.UUID), after, limit, newest_first=True
    )
    return [NoteOut.model_validate(dict(row)) for row in (await session.execute(query)).mappings()]
