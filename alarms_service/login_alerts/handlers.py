"""``gateway.login_failures_exceeded``: record the alert and email each active admin of the tenant, through
messaging, in the inbox's transaction (the alert row and its command commit together; the alert's id is the
event's, so a repeated event sends nothing twice); each admin finds it in their alarms inbox too."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.admin_alerts import emails_to_admins, file_for_admins, tenant_language
from alarms_service.login_alerts import repository
from alarms_service.login_alerts.words import alert_data
from alarms_service.models import outbox
from alarms_service.projection.repository import active_admins
from shared.contracts.gateway import LoginFailuresExceeded
from shared.inbox import Received
from shared.outbox import emit


async def on_login_failures_exceeded(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[LoginFailuresExceeded]]
) -> None:
    for received in batch:  # rare, and each goes to its own tenant's admins
        await _alert(session, received)


async def _alert(session: AsyncSession, received: Received[LoginFailuresExceeded]) -> None:
    m, tenant_id = received.message, received.tenant_id
    admins = await active_admins(session, tenant_id)
    alert_id = await repository.insert_alert(
        session,
        tenant_id,
        received.envelope.id,
        username=m.username,
        address=m.address,
        failures=m.failures,
        window_seconds=m.window_seconds,
        occurred_at=received.envelope.occurred_at,
        recipients=[a.email for a in admins],
    )
    if alert_id is None or not admins:
        return
    language = await tenant_language(session, tenant_id)
    data = alert_data(language, m.username, m.failures, m.address, m.window_seconds)
    key = f"alarms:{tenant_id}:login_failures:{alert_id}"
    await emit(session, outbox, tenant_id, emails_to_admins(admins, language, data, key, str(alert_id)))
    await file_for_admins(session, tenant_id, admins, "login_alert", alert_id, data)
