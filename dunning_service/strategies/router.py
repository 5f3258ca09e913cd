import uuid
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Response, status

from dunning_service.strategies import convert, repository, service
from dunning_service.strategies.auth import StrategyRead, StrategyWrite
from dunning_service.strategies.repository import StrategyRow
from dunning_service.strategies.schemas import StrategyCreate, StrategyOut, StrategyUpdate, StrategyVersionOut
from dunning_service.strategies.scripts import ScriptChecksDep
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/strategies", tags=["strategies"], responses=problem_responses(401, 403, 422))


def strategy_out(row: StrategyRow | dict[str, Any]) -> dict[str, Any]:
    """A strategy as the API shows it, from its typed row or the fields of the ORM object a request just wrote."""

    def get(name: str) -> Any:
        return row.get(name) if isinstance(row, dict) else getattr(row, name)

    steps = convert.steps_from_json(get("id"), get("steps"))
    return {
        "id": get("id"),
        "name": get("name"),
        "description": get("description"),
        "priority": get("priority"),
        "is_default": get("is_default"),
        "manual_only": get("manual_only"),
        "for_payment_plans": get("for_payment_plans"),
        "active": get("active"),
        "match": get("match"),
        "steps": [
            {
                "id": s.id,
                "key": s.key,
                "kind": s.kind,
                "days": s.days,
                "tone": s.tone,
                "channels": list(s.channels),
                "action": s.action,
                "pin_tone": s.pin_tone,
                "script": s.script,
            }
            for s in steps
        ],
        "fees": get("fees"),
        "version": get("version"),
        "updated_by": get("updated_by"),
        "created_at": get("created_at"),
        "updated_at": get("updated_at"),
    }


def _orm_out(strategy: Any) -> dict[str, Any]:
    return strategy_out({c: getattr(strategy, c) for c in StrategyOut.model_fields if hasattr(strategy, c)})


@router.post("", response_model=StrategyOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 503))
async def create_strategy(
    identity: StrategyWrite, data: StrategyCreate, session: SessionDep, checks: ScriptChecksDep
) -> dict[str, Any]:
    """Create a strategy. Bad steps answer 422 naming the step and field (`steps[2].days`); a call step's script
    is checked by messaging like a template (`steps[2].script`), 503 when messaging does not answer."""
    strategy = await service.create_strategy(session, identity.tenant_id, data, identity.actor, checks)
    return _orm_out(strategy)


@router.get("", response_model=Page[StrategyOut])
async def list_strategies(
    identity: StrategyRead,
    session: SessionDep,
    page: PageDep,
    active: bool | None = None,
    include_archived: bool = False,
) -> dict[str, Any]:
    """Strategies in the order they are tried (priority, then name)."""
    rows = await repository.list_strategies(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        active=active,
        include_archived=include_archived,
    )
    return make_page(rows, page.limit, key=lambda r: [r.priority, r.name, r.id], item=strategy_out)


@router.get("/{strategy_id}", response_model=StrategyOut, responses=problem_responses(404))
async def get_strategy(identity: StrategyRead, strategy_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    row = await repository.read(session, identity.tenant_id, strategy_id)
    if row is None:
        raise NotFound("Strategy not found")
    return strategy_out(row)


@router.patch("/{strategy_id}", response_model=StrategyOut, responses=problem_responses(404, 409, 503))
async def update_strategy(
    identity: StrategyWrite, strategy_id: uuid.UUID, data: StrategyUpdate, session: SessionDep, checks: ScriptChecksDep
) -> dict[str, Any]:
    """Edit a strategy: a new version. Steps keep their identity by key, so no step already sent is sent again."""
    strategy = await service.update_strategy(session, identity.tenant_id, strategy_id, data, identity.actor, checks)
    return _orm_out(strategy)


@router.delete("/{strategy_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404))
async def archive_strategy(identity: StrategyWrite, strategy_id: uuid.UUID, session: SessionDep) -> Response:
    """Archive a strategy: it stops applying; its versions and the steps it sent stay."""
    await service.archive_strategy(session, identity.tenant_id, strategy_id, identity.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{strategy_id}/versions", response_model=Page[StrategyVersionOut], responses=problem_responses(404))
async def list_strategy_versions(
    identity: StrategyRead, strategy_id: uuid.UUID, session: SessionDep, params: PageDep
) -> dict[str, Any]:
    """Every version of the strategy, newest first."""
    if await repository.read(session, identity.tenant_id, strategy_id) is None:
        raise NotFound("Strategy not found")
    rows = await repository.list_versions(
        session, identity.tenant_id, strategy_id, limit=params.limit, after=params.cursor
    )
    return make_page(rows, params.limit, key=lambda r: [r.version], item=asdict)
