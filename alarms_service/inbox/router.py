"""The alarms inbox (issue 18): what alarms sent the calling user (every digest addressed to them, and to an admin
the alerts of a login under attack or a webhook endpoint disabled), newest first; acknowledge one or all. A user
sees only their own items."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from alarms_service.inbox import repository
from alarms_service.inbox.auth import InboxAcknowledge, InboxRead, owner
from alarms_service.inbox.repository import InboxRow
from alarms_service.inbox.schemas import AcknowledgedOut, InboxItemOut, InboxKind
from alarms_service.tenant_settings.rules import Alarm
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/alarms/inbox", tags=["alarm-inbox"], responses=problem_responses(401, 403, 422))


def item_out(row: InboxRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "source_id": row.source_id,
        "alarm": row.alarm,
        "period": row.period,
        "title": row.title,
        "summary": row.summary,
        "lines": row.lines,
        "action": row.action,
        "row_count": row.row_count,
        "created_at": row.created_at,
        "acknowledged_at": row.acknowledged_at,
    }


@router.get("", response_model=Page[InboxItemOut])
async def list_inbox(
    identity: InboxRead,
    session: SessionDep,
    page: PageDep,
    unacknowledged: Annotated[bool, Query(description="Only the items not acknowledged yet")] = False,
    alarm: Annotated[Alarm | None, Query(description="One alarm's digests")] = None,
    kind: Annotated[InboxKind | None, Query(description="Digests or one kind of alert")] = None,
) -> dict[str, Any]:
    """The calling user's alarm digests and alerts, newest first."""
    rows = await repository.list_items(
        session,
        identity.tenant_id,
        owner(identity),
        limit=page.limit,
        after=page.cursor,
        unacknowledged=unacknowledged,
        alarm=alarm.value if alarm else None,
        kind=kind.value if kind else None,
    )
    return make_page(rows, page.limit, key=lambda r: [r.created_at.isoformat(), r.id], item=item_out)


@router.post("/acknowledge-all", response_model=AcknowledgedOut)
async def acknowledge_all(identity: InboxAcknowledge, session: SessionDep) -> dict[str, Any]:
    """Acknowledge every item of the calling user's inbox."""
    user_id = owner(identity)
    done = await repository.acknowledge(session, identity.tenant_id, user_id)
    left = await repository.unacknowledged_count(session, identity.tenant_id, user_id)
    return {"acknowledged": done, "unacknowledged": left}


@router.post("/{item_id}/acknowledge", response_model=InboxItemOut, responses=problem_responses(404))
async def acknowledge_item(identity: InboxAcknowledge, item_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    """Acknowledge one item (again: nothing changes, the first acknowledgement is kept). Another user's item: 404."""
    user_id = owner(identity)
    await repository.acknowledge(session, identity.tenant_id, user_id, item_id)
    row = await repository.get_item(session, identity.tenant_id, user_id, item_id)
    if row is None:
        raise NotFound("Inbox item not found")
    return item_out(row)
