"""Every debtor action is audited (who: the link; when; from where) before it is carried out, and its result
written when known: an action that failed halfway is still on record. A finished action is announced
(``PortalActionTaken``, through the outbox in the same transaction): the webhooks catalogue tells the ERP."""

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.audit import repository
from services.portal.audit.schemas import ActionKind
from services.portal.models import outbox
from shared.contracts.portal import PortalActionTaken
from shared.outbox import emit

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


async def done(
    session: AsyncSession,
    visit: "Visit",
    action_id: uuid.UUID,
    result: dict[str, Any],
    customer_external_id: str | None = None,
) -> None:
    """The action's result on record, and announced (``customer_external_id``: the ERP's id, when the caller
    read it from the statement)."""
    row = await repository.set_result(session, visit.tenant_id, action_id, result)
    taken = PortalActionTaken(
        action_id=row.id,
        customer_id=row.customer_id,
        customer_external_id=customer_external_id,
        kind=row.kind,
        detail=row.detail,
        result=row.result,
        at=row.at,
    )
    await emit(session, outbox, visit.tenant_id, taken)


async def refused(session: AsyncSession, visit: "Visit", action_id: uuid.UUID, problem: dict[str, Any]) -> None:
    """The service behind said no: on record (not announced: nothing happened)."""
    await repository.set_result(session, visit.tenant_id, action_id, {"refused": problem})
