from fastapi import APIRouter, Request

from messaging_service.tenant_settings import service
from messaging_service.tenant_settings.auth import SettingsRead, SettingsWrite
from messaging_service.tenant_settings.schemas import SettingsOut, SettingsPatch
from shared.db import SessionDep
from shared.problems import problem_responses

router = APIRouter(
    prefix="/v1/messaging-settings", tags=["messaging-settings"], responses=problem_responses(401, 403, 422)
)


@router.get("", response_model=SettingsOut)
async def get_messaging_settings(request: Request, identity: SettingsRead, session: SessionDep) -> SettingsOut:
    """The tenant's messaging profile and channels as in force (defaults filled in); secrets only say if set."""
    row = await service.load(session, identity.tenant_id)
    return service.view(request.app.state.settings, identity.tenant_id, row)


@router.patch("", response_model=SettingsOut)
async def update_messaging_settings(
    request: Request, identity: SettingsWrite, data: SettingsPatch, session: SessionDep
) -> SettingsOut:
    """Change part of the settings (admins and managers). Left out: unchanged; `null`: cleared."""
    settings = request.app.state.settings
    row = await service.patch(session, settings, identity.tenant_id, data)
    return service.view(settings, identity.tenant_id, row)
