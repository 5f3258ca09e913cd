"""``/v1/portal-settings``: the tenant's portal (links' life, online payment, the plans a debtor may ask for)."""

from fastapi import APIRouter

from services.portal.tenant_settings import service
from services.portal.tenant_settings.auth import SettingsRead, SettingsWrite
from services.portal.tenant_settings.schemas import PortalSettingsOut, PortalSettingsUpdate
from services.portal.upstream import UpstreamDep
from shared.db import SessionDep
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/portal-settings", tags=["portal"], responses=problem_responses(401, 403, 422))


@router.get("", response_model=PortalSettingsOut)
async def get_portal_settings(identity: SettingsRead, session: SessionDep) -> PortalSettingsOut:
    """The tenant's portal settings (the defaults until changed)."""
    return await service.current(session, identity.tenant_id)


@router.patch("", response_model=PortalSettingsOut)
async def update_portal_settings(
    identity: SettingsWrite, data: PortalSettingsUpdate, session: SessionDep, upstream: UpstreamDep
) -> PortalSettingsOut:
    """Change the portal's settings (managers): fields left out keep their value. The dispute areas named must
    be receivables' (`/v1/dispute-areas`)."""
    await service.check_dispute_areas(upstream, identity.tenant_id, data)
    return await service.update(session, identity.tenant_id, data)
