"""Per-tenant dunning settings (run hour, tolerances, holidays, reply pause; the action owner read-only: receivables
owns it); the resync is in ``projection.router``."""

from typing import Any

from fastapi import APIRouter

from dunning_service.tenant_settings import service
from dunning_service.tenant_settings.auth import SettingsRead, SettingsWrite
from dunning_service.tenant_settings.schemas import DunningSettingsOut, DunningSettingsUpdate
from shared.db import SessionDep
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/dunning-settings", tags=["dunning-settings"], responses=problem_responses(401, 403))


@router.get("", response_model=DunningSettingsOut)
async def get_dunning_settings(identity: SettingsRead, session: SessionDep) -> dict[str, Any]:
    return await service.settings_out(session, identity.tenant_id)


@router.patch("", response_model=DunningSettingsOut, responses=problem_responses(422))
async def update_dunning_settings(
    identity: SettingsWrite, data: DunningSettingsUpdate, session: SessionDep
) -> dict[str, Any]:
    """Change some settings; fields left out stay as they are. The action owner is not set here: receivables owns
    it (`PATCH /v1/receivables-settings`) and dunning learns it from receivables' events."""
    await service.update_settings(session, identity.tenant_id, data)
    return await service.settings_out(session, identity.tenant_id)
