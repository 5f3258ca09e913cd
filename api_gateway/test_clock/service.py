"""A sandbox tenant's test clock (issue 15). The gateway owns it, like the rest of the tenant: a change is saved and
announced (``gateway.tenant_changed``, with ``test_clock``) in one transaction, and every service's projection of
the tenant builds its ``TenantClock`` from that."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.events import tenant_changed
from api_gateway.models import Tenant, outbox
from api_gateway.tenants.service import get_tenant
from shared.clock import TenantClock
from shared.outbox import emit
from shared.problems import Conflict, Forbidden, ValidationProblem

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class NotASandbox(Forbidden):
    slug, title = "not-a-sandbox", "Only a sandbox tenant has a test clock"


async def sandbox_tenant(session: AsyncSession, tenant_id: uuid.UUID, for_update: bool = False) -> Tenant:
    """The caller's tenant, which must be a sandbox: a live tenant's dates are the real ones, always."""
    tenant = await get_tenant(session, tenant_id, for_update=for_update)
    if not tenant.sandbox:
        raise NotASandbox(
            "This tenant is live: its clock is the wall clock. Test clocks are for sandbox tenants, which the "
            "platform operator creates with `sandbox: true`"
        )
    return tenant


def clock_of(tenant: Tenant) -> TenantClock:
    return TenantClock(tenant.timezone, tenant.test_clock)


def checked_instant(field: str, instant: datetime) -> datetime:
    """``instant`` in UTC, within the years a clock may stand at."""
    instant = instant.astimezone(UTC)
    if not EARLIEST <= instant < LATEST:
        raise ValidationProblem.field(field, "must be between 2000-01-01 and 2099-12-31")
    return instant


async def move_clock(session: AsyncSession, tenant: Tenant, instant: datetime) -> Tenant:
    """Stand the sandbox tenant's clock at ``instant`` and announce it to every service."""
    tenant.test_clock = instant.astimezone(UTC)
    await session.flush()
    await emit(session, outbox, tenant.id, tenant_changed(tenant))
    return tenant


async def start_clock(session: AsyncSession, tenant_id: uuid.UUID, frozen_time: datetime) -> Tenant:
    """Set where the clock starts, once: after that it only moves forward (``/v1/test-clock/advance``), so that
    nothing the tenant recorded ends up in its clock's future."""
    instant = checked_instant("frozen_time", frozen_time)
    tenant = await sandbox_tenant(session, tenant_id, for_update=True)
    if tenant.test_clock is not None:
        raise Conflict(
            f"The clock has started (it stands at {tenant.test_clock.isoformat()}): move it forward with "
            "POST /v1/test-clock/advance"
        )
    return await move_clock(session, tenant, instant)
