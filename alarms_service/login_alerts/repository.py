"""The failed-login alarms sent to a tenant's admins (``alarms.login_alerts``)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.models import LoginAlert
from shared.pagination import keyset

_alerts = LoginAlert.__table__


@dataclass(frozen=True, slots=True)
class LoginAlertRow:
    """A row of ``alarms.login_alerts``."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    username: str
    address: str
    failures: int
    window_seconds: int
    occurred_at: datetime
    recipients: list[str]
    created_at: datetime


async def insert_alert(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    alert_id: uuid.UUID,
    *,
    username: str,
    address: str,
    failures: int,
    window_seconds: int,
    occurred_at: datetime,
    recipients: list[str],
) -> uuid.UUID | None:
    """Record an alert under its event's id; None when that event was recorded already (a repeat)."""
    statement = (
        insert(LoginAlert)
        .values(
            id=alert_id,
            tenant_id=tenant_id,
            username=username,
            address=address,
            failures=failures,
            window_seconds=window_seconds,
            occurred_at=occurred_at,
            recipients=recipients,
        )
        .on_conflict_do_nothing()
        .returning(LoginAlert.id)
    )
    inserted: uuid.UUID | None = await session.scalar(statement)
    return inserted


async def list_alerts(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: list[Any] | None
) -> list[LoginAlertRow]:
    """The tenant's alerts, newest first (keyset pagination)."""
    query = select(_alerts).where(_alerts.c.tenant_id == tenant_id)
    query = keyset(
        query,
        (_alerts.c.occurred_at, _alerts.c.id),
        (datetime.fromisoformat, uuid.UUID),
        after,
        limit,
        newest_first=True,
    )
    return [LoginAlertRow(**row) for row in (await session.execute(query)).mappings()]
