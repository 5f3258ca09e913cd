"""The tenant's profile as messaging reads it: its clock, whether it is a sandbox, the holidays its messages keep
off. Pure functions over the tenant's settings row (``models.TenantSettings``), no I/O."""

from datetime import date, datetime
from functools import lru_cache
from typing import Protocol

from shared.calendar import BusinessCalendar
from shared.clock import TenantClock


class TenantProfile(Protocol):
    """What these rules read of a tenant's settings row (the gateway's and dunning's facts)."""

    @property
    def timezone(self) -> str | None: ...
    @property
    def test_clock(self) -> datetime | None: ...
    @property
    def sandbox(self) -> bool: ...
    @property
    def country(self) -> str | None: ...
    @property
    def holiday_subdivision(self) -> str | None: ...
    @property
    def company_holidays(self) -> list[date]: ...


def clock_of(tenant: TenantProfile | None) -> TenantClock:
    """The tenant's clock (issue 15) from its settings row: its test clock when it has one, else the wall clock.
    Quiet hours, the frequency cap, holidays and the release of deferred messages all read it."""
    if tenant is None:
        return TenantClock()
    return TenantClock(tenant.timezone, tenant.test_clock)


def is_sandbox(tenant: TenantProfile | None) -> bool:
    """A sandbox tenant's messages reach only the sandbox peers, never a real provider (issue 15)."""
    return bool(tenant is not None and tenant.sandbox)


@lru_cache(maxsize=1024)
def _calendar(country: str | None, subdivision: str | None, company_holidays: frozenset[date]) -> BusinessCalendar:
    return BusinessCalendar(country, subdivision, company_holidays)


def tenant_calendar(tenant: TenantProfile) -> BusinessCalendar:
    """The holidays a tenant's messages keep off: its country's (and subdivision's) public holidays, from the
    gateway, and its company holidays, from dunning's settings (``dunning.calendar_changed``)."""
    return _calendar(tenant.country, tenant.holiday_subdivision, frozenset(tenant.company_holidays or ()))
