"""``GET /v1/alarms/login-alerts``: the failed-login alarms sent to the tenant's admins, newest first (admins only:
they name accounts and addresses)."""

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from alarms_service import examples
from alarms_service.login_alerts import repository
from alarms_service.login_alerts.auth import LoginAlertsRead
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/alarms/login-alerts", tags=["alarms"], responses=problem_responses(401, 403, 422))


class LoginAlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.LOGIN_ALERT_OUT]})

    id: uuid.UUID
    username: str = Field(description="The email tried (it need not be a user of the tenant)")
    address: str = Field(description="The client address of the last failure")
    failures: int = Field(description="Failed attempts within the window when the alarm went out")
    window_seconds: int
    occurred_at: datetime
    recipients: list[str] = Field(description="The admins emailed")


@router.get("", response_model=Page[LoginAlertOut])
async def list_login_alerts(identity: LoginAlertsRead, session: SessionDep, params: PageDep) -> dict[str, Any]:
    """Accounts that failed to log in too often (`login_alarm_failures` in the gateway's window), newest first."""
    alerts = await repository.list_alerts(session, identity.tenant_id, limit=params.limit, after=params.cursor)
    return make_page(
        alerts, params.limit, key=lambda a: [a.occurred_at.isoformat(), str(a.id)], item=LoginAlertOut.model_validate
    )
