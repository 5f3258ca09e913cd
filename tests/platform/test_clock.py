"""The one clock (issue 15): a tenant's now and today follow its test clock when it has one."""

from datetime import UTC, date, datetime, timedelta, timezone

from shared.clock import TenantClock, tenant_now, tenant_today, wall_now


def test_without_a_test_clock_the_tenant_lives_on_the_wall_clock():
    before = wall_now()
    assert before <= tenant_now(None) <= wall_now()
    assert not TenantClock("America/Santiago").is_test


def test_a_test_clock_is_frozen_and_read_in_the_tenants_zone():
    frozen = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)  # still 28 February in Buenos Aires (UTC-3)
    clock = TenantClock("America/Argentina/Buenos_Aires", frozen)
    assert clock.now() == frozen == tenant_now(frozen)
    assert clock.today() == date(2026, 2, 28) == tenant_today("America/Argentina/Buenos_Aires", frozen)
    assert TenantClock(None, frozen).today() == date(2026, 3, 1)
    assert clock.now() == clock.now()  # it does not tick


def test_a_test_clock_given_in_another_offset_is_the_same_instant_in_utc():
    santiago_noon = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-3)))
    assert tenant_now(santiago_noon) == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert tenant_now(santiago_noon).tzinfo == UTC
