"""Every debtor action is audited (who: the link; when; from where) before it is carried out, and its result
written when known: an action that failed halfway is still on record."""

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.audit import repository
from services.portal.audit.schemas import ActionKind

if TYPE_CHECKING:
    from services.portal.visits.service import Visit


async def record(session: AsyncSession, visit: "Visit", kind: ActionKind, detail: dict[str, Any]) -> uuid.UUID:
    return await repository.insert_action(
        session,
        visit.tenant_id,
        link_id=visit.link_id,
        customer_id=visit.customer_id,
        kind=kind.value,
        detail=detail,
        ip=visit.address,
        user_agent=visit.user_agent,
    )


async def done(session: AsyncSession, visit: "Visit", action_id: uuid.UUID, result: dict[str, Any]) -> None:
    await repository.set_result(session, visit.tenant_id, action_id, result)
