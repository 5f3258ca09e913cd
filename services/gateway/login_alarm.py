"""The failed-login alarm (issue 11): when an account's failed logins in the throttle's window reach
``login_alarm_failures``, the gateway announces ``gateway.login_failures_exceeded`` through its outbox, once per
window; alarms emails the tenant's admins. Only for a tenant that exists (an unknown slug alarms nobody); the
username need not be a user, and the caller gets the same 401 either way, so nothing tells whether it is one.
"""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.gateway.login_throttle import LoginSubject, LoginThrottle
from services.gateway.models import Tenant, outbox
from shared.contracts.gateway import LoginFailuresExceeded
from shared.outbox import emit


async def login_failed(
    engine: AsyncEngine,
    throttle: LoginThrottle,
    subject: LoginSubject,
    slug: str,
    username: str,
    address: str,
    attempts: int,
) -> None:
    """After a failed password grant: announce the alarm if this failure is the one that raises it."""
    if not await throttle.first_alarm(subject, attempts):
        return
    # Its own transaction: the request's rolls back with the 401 it answers.
    async with engine.begin() as conn:
        tenant_id = await conn.scalar(select(Tenant.id).where(Tenant.slug == func.lower(slug), Tenant.active))
        if tenant_id is None:
            return
        event = LoginFailuresExceeded(
            tenant_id=tenant_id,
            username=username[:320],
            failures=attempts,
            address=address[:100],
            window_seconds=throttle.settings.login_failure_window_seconds,
        )
        await emit(conn, outbox, tenant_id, event)
