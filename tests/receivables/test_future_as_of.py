"""`POST /v1/promises/detect-broken` refuses a future as-of date (issue 10, point 6): a promise breaks only once its
day (plus the grace days) has ended in the tenant's time zone; a rehearsal of a later day is a test clock's job."""

from datetime import timedelta

from tests.receivables.helpers import customer, invoice, post


async def test_detect_broken_refuses_a_day_after_the_tenants_today(rc):
    c = await customer(rc, collector_id=str(rc.collector_id))
    await invoice(rc, c["id"])
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {"customer_id": c["id"], "kind": "promise_to_pay", "promised_date": rc.today.isoformat()},
    )
    tomorrow = rc.today + timedelta(days=1)
    response = await rc.api.post("/v1/promises/detect-broken", json={"as_of": tomorrow.isoformat()}, headers=rc.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert error["field"] == "as_of"
    assert "rehearsals are for test clocks" in error["message"]
    # today's check leaves a promise for today alone: its day has not ended
    assert (await post(rc.api, "/v1/promises/detect-broken", rc.admin, {}, expect=200))["broken"] == 0
    (promise,) = (await rc.api.get("/v1/promises", headers=rc.admin)).json()["items"]
    assert promise["status"] == "open"
