import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import Outcome
from services.receivables.outcomes.schemas import OutcomeOut
from shared.pagination import keyset

outcomes = Outcome.__table__


def _typed(row: RowMapping) -> OutcomeOut:
    return OutcomeOut.model_validate({**row, "message_requested": row["message_key"] is not None})


async def insert_outcome(session: AsyncSession, values: Mapping[str, Any]) -> OutcomeOut:
    return _typed((await session.execute(insert(outcomes).values(values).returning(outcomes))).mappings().one())


async def get_outcome(session: AsyncSession, tenant_id: uuid.UUID, outcome_id: uuid.UUID) -> OutcomeOut | None:
    query = select(outcomes).where(outcomes.c.tenant_id == tenant_id, outcomes.c.id == outcome_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else _typed(row)


async def list_outcomes(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    customer_id: uuid.UUID | None,
    kind: str | None,
    excuse: str | None,
    recorded_by_user_id: uuid.UUID | None,
    collector_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
) -> list[OutcomeOut]:
    """Newest first (by when they happened, on the tenant's calendar)."""
    query = select(outcomes).where(outcomes.c.tenant_id == tenant_id)
    for column, value in (
        (outcomes.c.customer_id, customer_id),
        (outcomes.c.kind, kind),
        (outcomes.c.excuse, excuse),
        (outcomes.c.recorded_by_user_id, recorded_by_user_id),
        (outcomes.c.collector_id, collector_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if date_from:
        query = query.where(outcomes.c.occurred_at >= datetime.combine(date_from, datetime.min.time()))
    if date_to:
        query = query.where(outcomes.c.occurred_at < datetime.combine(date_to + timedelta(days=1), datetime.min.time()))
    query = keyset(
        query,
        (outcomes.c.occurred_at, outcomes.c.id),
        (datetime.fromisoformat, uuid.UUID),
        after,
        limit,
        newest_first=True,
    )
    return [_typed(row) for row in (await session.execute(query)).mappings()]
