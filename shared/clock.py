"""One clock per tenant (issue 15): every rule and job that decides something for a tenant asks here for its
"now" and its "today", never the wall clock directly.

A live tenant's clock is the wall clock. A sandbox tenant may have a *test clock*: a frozen instant that moves only
when the tenant sets or advances it (``POST /v1/test-clock``, ``POST /v1/test-clock/advance``), so that months of
collections can be replayed in minutes, as Stripe's test clocks do for subscriptions. Every service keeps its
tenants' ``test_clock`` from ``TenantChanged`` and builds a ``TenantClock`` from it.

What stays on the wall clock, because it is not a decision about the tenant's collections: leases, retries and
timeouts of jobs and deliveries, people's sessions and tokens, the ``webhook-timestamp`` header (receivers check
it against their own clock), rate limits, and the moment a row was written (``created_at``), which is a fact of
the system, not of the calendar being played.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from shared.calendar import local_now


def wall_now() -> datetime:
    """The real instant (aware, UTC): for the things listed above, never for a tenant's decision."""
    return datetime.now(UTC)


async def wait_until(done: Callable[[], Awaitable[bool]], seconds: float, every: float) -> bool:
    """Whether ``done()`` comes true within ``seconds`` of the wall clock, asked every ``every`` seconds: a request
    waiting a little for a job's result before it answers the job to poll instead."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await done():
            return True
        await asyncio.sleep(every)
    return False


def tenant_now(test_clock: datetime | None) -> datetime:
    """The tenant's instant: its test clock when it has one, else the real one."""
    return test_clock.astimezone(UTC) if test_clock is not None else wall_now()


def tenant_today(timezone: str | None, test_clock: datetime | None) -> date:
    """The tenant's local date (in ``timezone``; UTC when unknown) at its instant."""
    return local_now(timezone, tenant_now(test_clock)).date()


@dataclass(frozen=True, slots=True)
class TenantClock:
    """A tenant's clock as a service holds it: its time zone and its test clock (None: the wall clock)."""

    timezone: str | None = None
    test_clock: datetime | None = None

    def now(self) -> datetime:
        return tenant_now(self.test_clock)

    def today(self) -> date:
        return tenant_today(self.timezone, self.test_clock)

    @property
    def is_test(self) -> bool:
        return self.test_clock is not None


class KeepsTenantClock:
    """What a service's tenant object (its profile, context or view) says of the tenant's time: ``clock`` and
    ``today``, from the ``timezone`` and ``test_clock`` it holds (issue 15)."""

    if TYPE_CHECKING:  # declared by the class that mixes this in (a dataclass field; not an annotation here)
        timezone: str | None
        test_clock: datetime | None

    @property
    def clock(self) -> TenantClock:
        """The tenant's clock: its test clock when it is a sandbox with one, else the wall clock."""
        return TenantClock(self.timezone, self.test_clock)

    def today(self, now: datetime | None = None) -> date:
        """The tenant's local date at ``now``; without one, its clock's today."""
        return tenant_today(self.timezone, now) if now is not None else self.clock.today()
