import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.action_items import repository, service
from dunning_service.action_items.auth import ActionItemAssign, ActionItemRead, ActionItemWork
from dunning_service.action_items.schemas import (
    ActionItemCreate,
    ActionItemOut,
    ActionItemStatus,
    Assignment,
    ResolutionIn,
)
from dunning_service.strategies.rules import ActionKind
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses
from shared.tenant_users import TenantUsersDep

router = APIRouter(prefix="/v1/action-items", tags=["action-items"], responses=problem_responses(401, 403, 422))


async def _read(session: AsyncSession, tenant_id: uuid.UUID, item_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.read(session, tenant_id, item_id)
    if row is None:
        raise NotFound("Action item not found")
    return asdict(row)


@router.get("", response_model=Page[ActionItemOut])
async def list_action_items(
    identity: ActionItemRead,
    session: SessionDep,
    page: PageDep,
    status: ActionItemStatus | None = None,
    assignee_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    action: ActionKind | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
) -> dict[str, Any]:
    """Action items, newest first: the action owner's list (seed 000's daily actions alarm reads the same)."""
    rows = await repository.list_items(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        status=status.value if status else None,
        assignee_id=assignee_id,
        customer_id=customer_id,
        action=action.value if action else None,
        created_from=created_from,
        created_to=created_to,
    )
    return make_page(rows, page.limit, key=lambda r: [r.created_at.isoformat(), r.id], item=asdict)


@router.post(
    "", response_model=ActionItemOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(404, 503)
)
async def create_action_item(
    identity: ActionItemAssign, data: ActionItemCreate, session: SessionDep, users: TenantUsersDep
) -> dict[str, Any]:
    """Decide an action by hand: its invoices get no reminders while it is open. The assignee must be a user of
    the tenant (422). The customer and invoices may be named by the ERP's ids instead: `customer_external_id`,
    `invoice_external_ids` (one form each; every unknown one is listed in one 422)."""
    await users.require(identity.tenant_id, {"assignee_id": data.assignee_id})
    data = await service.resolved(session, identity.tenant_id, data)
    item = await service.create_item(session, identity.tenant_id, data, identity.actor)
    return await _read(session, identity.tenant_id, item.id)


@router.get("/{item_id}", response_model=ActionItemOut, responses=problem_responses(404))
async def get_action_item(identity: ActionItemRead, item_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    return await _read(session, identity.tenant_id, item_id)


@router.post("/{item_id}/assign", response_model=ActionItemOut, responses=problem_responses(404, 409, 503))
async def assign_action_item(
    identity: ActionItemAssign, item_id: uuid.UUID, data: Assignment, session: SessionDep, users: TenantUsersDep
) -> dict[str, Any]:
    """Give the action to a user of the tenant (422 for anyone else; 409 once it is resolved)."""
    await users.require(identity.tenant_id, {"assignee_id": data.assignee_id})
    await service.assign_item(session, identity.tenant_id, item_id, data)
    return await _read(session, identity.tenant_id, item_id)


@router.post("/{item_id}/resolve", response_model=ActionItemOut, responses=problem_responses(404, 409))
async def resolve_action_item(
    identity: ActionItemWork, item_id: uuid.UUID, data: ResolutionIn, session: SessionDep
) -> dict[str, Any]:
    """Close the action: `done`, or `cancelled` with a `reason` (409 if already resolved)."""
    await service.resolve_item(session, identity.tenant_id, item_id, data, identity.actor)
    return await _read(session, identity.tenant_id, item_id)
