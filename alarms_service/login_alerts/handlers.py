"""``gateway.login_failures_exceeded``: record the alert and email each active admin of the tenant, through
messaging, in the inbox's transaction (the alert row and its command commit together; the alert's id is the
event's, so a repeated event sends nothing twice)."""

from typing import Any

from sqlalchemy import any_, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.login_alerts.words import alert_data
from alarms_service.models import LoginAlert, Tenant, User, outbox
from shared.contracts.common import Channel
from shared.contracts.gateway import LoginFailuresExceeded
from shared.contracts.messaging import Communication, CommunicationKind, SendCommunications
from shared.identity import ADMIN
from shared.inbox import Received
from shared.outbox import emit
from shared.validation import LANGUAGES


async def on_login_failures_exceeded(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[LoginFailuresExceeded]]
) -> None:
    for received in batch:  # rare, and each goes to its own tenant's admins
        await _alert(session, received)


async def _alert(session: AsyncSession, received: Received[LoginFailuresExceeded]) -> None:
    m, tenant_id = received.message, received.tenant_id
    admins = (
        await session.execute(
            select(User.user_id, User.email, User.full_name)
            .where(User.tenant_id == tenant_id, User.active, literal(ADMIN) == any_(User.roles))
            .order_by(User.email)
        )
    ).all()
    alert_id = await session.scalar(
        insert(LoginAlert)
        .values(
            id=received.envelope.id,
            tenant_id=tenant_id,
            username=m.username,
            address=m.address,
            failures=m.failures,
            window_seconds=m.window_seconds,
            occurred_at=received.envelope.occurred_at,
            recipients=[a.email for a in admins],
        )
        .on_conflict_do_nothing()
        .returning(LoginAlert.id)
    )
    if alert_id is None or not admins:
        return
    language = await session.scalar(select(Tenant.language).where(Tenant.tenant_id == tenant_id))
    language = language if language in LANGUAGES else "es"
    data = alert_data(language, m.username, m.failures, m.address, m.window_seconds)
    communications = [
        Communication(
            idempotency_key=f"alarms:{tenant_id}:login_failures:{alert_id}:{admin.user_id}",
            kind=CommunicationKind.ALARM_DIGEST,
            channel=Channel.EMAIL,
            to=admin.email,
            language=language,
            recipient_name=admin.full_name,
            data=data,
            source="alarms",
            source_ref=str(alert_id),
        )
        for admin in admins
    ]
    await emit(session, outbox, tenant_id, SendCommunications(communications=communications))
