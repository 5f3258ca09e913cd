"""Endpoints and their secrets: all of the endpoints' SQL, answering ``EndpointRow`` (the same row the delivery
loop reads and changes, so both name the same fields)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.webhooks.deliveries.rows import EndpointRow
from services.webhooks.models import PENDING, Delivery, Endpoint, Secret
from shared.pagination import keyset

endpoints = Endpoint.__table__
secrets = Secret.__table__
deliveries = Delivery.__table__


async def get_endpoint(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, *, lock: bool = False
) -> EndpointRow | None:
    query = select(endpoints).where(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    return None if row is None else EndpointRow.of(row)


async def list_endpoints(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: list[Any] | None
) -> list[EndpointRow]:
    """Oldest first, ``limit + 1`` rows (keyset pagination)."""
    query = select(endpoints).where(endpoints.c.tenant_id == tenant_id)
    query = keyset(query, (endpoints.c.created_at, endpoints.c.id), (datetime.fromisoformat, uuid.UUID), after, limit)
    return [EndpointRow.of(row) for row in (await session.execute(query)).mappings()]


async def insert_endpoint(session: AsyncSession, tenant_id: uuid.UUID, **values: Any) -> EndpointRow:
    statement = insert(endpoints).values(id=uuid.uuid4(), tenant_id=tenant_id, **values).returning(endpoints)
    return EndpointRow.of((await session.execute(statement)).mappings().one())


async def update_endpoint(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, **values: Any
) -> EndpointRow | None:
    """The endpoint after the change; None when there is none."""
    statement = (
        update(endpoints)
        .where(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id)
        .values(**values, updated_at=func.now())
        .returning(endpoints)
    )
    row = (await session.execute(statement)).mappings().first()
    return None if row is None else EndpointRow.of(row)


async def delete_endpoint(session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> bool:
    statement = delete(endpoints).where(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id)
    return (await session.execute(statement.returning(endpoints.c.id))).first() is not None


async def add_secret(session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, secret: str) -> None:
    await session.execute(
        insert(secrets).values(id=uuid.uuid4(), tenant_id=tenant_id, endpoint_id=endpoint_id, secret=secret)
    )


async def expire_secrets(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, expires_at: datetime
) -> None:
    """The secrets that sign now stop at ``expires_at`` (or sooner, if they were to stop sooner already)."""
    await session.execute(
        update(secrets)
        .where(
            secrets.c.tenant_id == tenant_id,
            secrets.c.endpoint_id == endpoint_id,
            or_(secrets.c.expires_at.is_(None), secrets.c.expires_at > expires_at),
        )
        .values(expires_at=expires_at)
    )


async def resume_deliveries(session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    """A re-enabled endpoint's pending deliveries are due at once."""
    await session.execute(
        update(deliveries)
        .where(
            deliveries.c.tenant_id == tenant_id,
            deliveries.c.endpoint_id == endpoint_id,
            deliveries.c.state == PENDING,
        )
        .values(next_attempt_at=func.now(), updated_at=func.now())
    )
