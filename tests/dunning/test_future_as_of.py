"""No real dunning run accepts a future as-of date (issue 10, point 6): "today" is the tenant's local date, and a
rehearsal of a later day is a test clock's job. A dry run may look ahead: it sends and records nothing."""

from datetime import timedelta

from shared.calendar import local_today
from tests.dunning.support import dry_run, dunning_tenant

KIRITIMATI = "Pacific/Kiritimati"  # UTC+14: its date is always one or two days after Pago Pago's (UTC-11)
PAGO_PAGO = "Pacific/Pago_Pago"


async def test_a_real_run_refuses_a_date_after_the_tenants_today(api, stack):
    tenant = await dunning_tenant(api, stack, timezone=PAGO_PAGO)
    today = local_today(PAGO_PAGO)
    for as_of in (today + timedelta(days=1), local_today(KIRITIMATI)):  # a date that is already today elsewhere
        response = await api.post("/v1/dunning-runs", json={"as_of": as_of.isoformat()}, headers=tenant.admin)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert problem["errors"][0]["field"] == "as_of"
        assert "rehearsals are for test clocks" in problem["errors"][0]["message"]
    accepted = await api.post("/v1/dunning-runs", json={"as_of": today.isoformat()}, headers=tenant.admin)
    assert accepted.status_code == 202, accepted.text


async def test_a_dry_run_may_look_ahead(api, stack):
    tenant = await dunning_tenant(api, stack)
    ahead = local_today("America/Argentina/Buenos_Aires") + timedelta(days=30)
    plan = await dry_run(api, tenant.admin, ahead)
    assert plan["as_of"] == ahead.isoformat()
