"""The failed-login alarm (issue 11): when an account's failed logins in the throttle's window reach
``login_alarm_failures``, the gateway announces ``gateway.login_failures_exceeded`` through its outbox, once per
window; alarms emails the tenant's admins. Only for a tenant that exists (an unknown slug alarms nobody); the
username need not be a user, and the caller gets the same 401 either way, so nothing tells whether it is one.
"""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api_gateway.models import outbox
from api_gateway.tenants import repository as tenants
from api_gateway.tokens.throttle import LoginSubject, LoginThrottle
from shared.contracts.gateway import LoginFailuresExceeded
from shared.db import unit_of_work
from shared.outbox import emit


async def login_failed(
    sessionmaker: async_sessionmaker[AsyncSession],
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
    async with unit_of_work(sessionmaker) as session:
        tenant_id = await tenants.active_id_by_slug(session, slug)
        if tenant_id is None:
            return
        event = LoginFailuresExceeded(
            tenant_id=tenant_id,
            username=username[:320],
            failures=attempts,
            address=address[:100],
            window_seconds=throttle.settings.login_failure_window_seconds,
        )
        await emit(session, outbox, tenant_id, event)
