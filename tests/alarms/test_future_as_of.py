"""No real alarm run accepts a future as-of date (issue 10, point 6): it would mark that day's period as sent and
suppress the real digest as `already_sent`. "Today" is the tenant's local date; a dry run may look ahead."""

from datetime import timedelta

from sqlalchemy import text

from shared.calendar import local_today
from tests.alarms.support import alarms_tenant

PAGO_PAGO = "Pacific/Pago_Pago"  # UTC-11: UTC's date is often already its tomorrow


async def test_a_real_alarm_run_refuses_a_date_after_the_tenants_today(api, stack):
    tenant = await alarms_tenant(api, stack, timezone=PAGO_PAGO)
    tomorrow = local_today(PAGO_PAGO) + timedelta(days=1)
    response = await api.post("/v1/alarms/runs", json={"as_of": tomorrow.isoformat()}, headers=tenant.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert error["field"] == "as_of"
    assert "rehearsals are for test clocks" in error["message"]
    async with stack.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM alarms.runs"))).scalar_one() == 0
        assert (await conn.execute(text("SELECT count(*) FROM alarms.schedule_slots"))).scalar_one() == 0


async def test_a_dry_alarm_run_may_look_ahead(api, stack):
    tenant = await alarms_tenant(api, stack, timezone=PAGO_PAGO)
    ahead = local_today(PAGO_PAGO) + timedelta(days=7)
    response = await api.post(
        "/v1/alarms/runs",
        json={"as_of": ahead.isoformat(), "dry_run": True, "alarms": ["broken_promises"]},
        headers=tenant.admin,
    )
    assert response.status_code == 201, response.text
    assert response.json()["as_of"] == ahead.isoformat()
