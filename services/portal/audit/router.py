"""``/v1/portal-actions``: what debtors did on their pages, newest first (the audit)."""

import dataclasses
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.portal.audit import repository
from services.portal.audit.auth import ActionsRead
from services.portal.audit.schemas import ActionKind, ActionOut
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/portal-actions", tags=["portal"], responses=problem_responses(401, 403, 422))


@router.get("", response_model=Page[ActionOut])
async def list_actions(
    identity: ActionsRead,
    session: SessionDep,
    page: PageDep,
    customer_id: Annotated[uuid.UUID | None, Query(description="Only this customer's")] = None,
    kind: Annotated[ActionKind | None, Query(description="Only this kind")] = None,
) -> dict[str, Any]:
    """Each page opened and each action taken: by which link, when, from which address and browser, what was
    asked and what it became."""
    rows = await repository.list_actions(
        session,
        identity.tenant_id,
        customer_id=customer_id,
        kind=kind.value if kind else None,
        limit=page.limit,
        after=page.cursor,
    )
    return make_page(rows, page.limit, key=lambda r: [r.at.isoformat(), str(r.id)], item=dataclasses.asdict)
