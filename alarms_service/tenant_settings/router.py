"""Per-tenant alarm settings: on or off, the local hour, the days, the thresholds; and when each goes next."""

from typing import Any

from fastapi import APIRouter

from alarms_service.tenant_settings import service
from alarms_service.tenant_settings.auth import SettingsRead, SettingsWrite
from alarms_service.tenant_settings.schemas import AlarmSettingsOut, AlarmSettingsUpdate
from shared.db import SessionDep
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/alarm-settings", tags=["alarm-settings"], responses=problem_responses(401, 403))


@router.get("", response_model=AlarmSettingsOut)
async def get_alarm_settings(identity: SettingsRead, session: SessionDep) -> dict[str, Any]:
    """Each alarm's setting and when its next digest is due."""
    return await service.settings_out(session, identity.tenant_id)


@router.patch("", response_model=AlarmSettingsOut, responses=problem_responses(422))
async def update_alarm_settings(
    identity: SettingsWrite, data: AlarmSettingsUpdate, session: SessionDep
) -> dict[str, Any]:
    """Change some alarms' settings; fields left out stay as they are. Hours are the tenant's local time."""
    await service.update_settings(session, identity.tenant_id, data, identity.actor)
    return await service.settings_out(session, identity.tenant_id)
