"""What debtors did on their pages (the audit): written once, read by the tenant's people."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.models import Action
from shared.db import row_as
from shared.pagination import newest_first

_actions = Action.__table__


@dataclass(frozen=True, slots=True)
class ActionRow:
    id: uuid.UUID
    link_id: uuid.UUID
    customer_id: uuid.UUID
    kind: str
    detail: dict[str, Any]
    result: dict[str, Any]
    ip: str | None
    user_agent: str | None
    at: datetime


_COLUMNS = [_actions.c[name] for name in ActionRow.__dataclass_fields__]


async def insert_action(session: AsyncSession, tenant_id: uuid.UUID, **values: Any) -> uuid.UUID:
    action_id = uuid.uuid4()
    await session.execute(insert(_actions).values(tenant_id=tenant_id, id=action_id, **values))
    return action_id


async def set_result(
    session: AsyncSession, tenant_id: uuid.UUID, action_id: uuid.UUID, result: dict[str, Any]
) -> ActionRow:
    statement = (
        update(_actions)
        .where(_actions.c.tenant_id == tenant_id, _actions.c.id == action_id)
        .values(result=result)
        .returning(*_COLUMNS)
    )
    return row_as(ActionRow, (await session.execute(statement)).mappings().one())


async def list_actions(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    customer_id: uuid.UUID | None,
    kind: str | None,
    limit: int,
    after: list[Any] | None,
) -> list[ActionRow]:
    """Newest first."""
    statement = select(*_COLUMNS).where(_actions.c.tenant_id == tenant_id)
    equal = {_actions.c.customer_id: customer_id, _actions.c.kind: kind}
    return await newest_first(session, statement, _actions.c.at, _actions.c.id, after, limit, ActionRow, equal)
