"""Back-dated records (issue 15): outcomes, notes and tasks carry ``occurred_at`` (default now; not in the future;
not before their invoices were issued), and every rule reads it: the promise's horizon, the follow-up's due date,
the timeline's order, the lists and the KPIs' periods."""

from datetime import UTC, date, datetime, timedelta

from services.receivables.tenant_settings.calendar import follow_up_date
from tests.receivables.helpers import customer, invoice, post


def _at(day: date, hour: int = 15) -> str:
    """Noon in Buenos Aires (the test tenant's zone) on ``day``, as the API takes it."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


def _problem_field(response) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    return error["field"]


async def test_a_call_logged_a_day_late_is_yesterdays_and_its_promise_horizon_starts_then(rc):
    c = await customer(rc, collector_id=str(rc.collector_id))
    inv = await invoice(rc, c["id"])
    two_days_ago, yesterday = rc.today - timedelta(days=2), rc.today - timedelta(days=1)
    promise = {"customer_id": c["id"], "kind": "promise_to_pay", "promised_date": yesterday.isoformat()}
    # made now, a promise for yesterday is in the past
    assert _problem_field(await rc.api.post("/v1/outcomes", json=promise, headers=rc.collector)) == "promised_date"
    # made two days ago, it was a promise for the next day
    recorded = await post(rc.api, "/v1/outcomes", rc.collector, {**promise, "occurred_at": _at(two_days_ago)})
    assert datetime.fromisoformat(recorded["occurred_at"]) == datetime.fromisoformat(_at(two_days_ago))
    assert datetime.fromisoformat(recorded["recorded_at"]) > datetime.fromisoformat(recorded["occurred_at"])
    (made,) = (await rc.api.get("/v1/promises", headers=rc.admin)).json()["items"]
    assert made["occurred_at"] == recorded["occurred_at"] and made["promised_date"] == yesterday.isoformat()
    # written after it, a note of today comes after it on the timeline: the call's entries sit on its day
    await post(rc.api, "/v1/notes", rc.collector, {"customer_id": c["id"], "body": "Hoy no atiende"})
    timeline = (await rc.api.get(f"/v1/customers/{c['id']}/timeline", headers=rc.admin)).json()["items"]
    # (the invoice entered the system today: its place is today, after the call about it)
    assert [e["kind"] for e in timeline] == ["note", "invoice", "outcome", "status_change"]
    assert [e["occurred_at"][:10] for e in timeline[2:]] == [two_days_ago.isoformat()] * 2
    # its day has ended (no grace days): the check of today breaks it
    assert (await post(rc.api, "/v1/promises/detect-broken", rc.admin, {}, expect=200))["broken"] == 1
    assert (await rc.api.get(f"/v1/invoices/{inv['id']}", headers=rc.admin)).json()["status"] == "normal"


async def test_occurred_at_is_never_in_the_future_nor_ambiguous(rc):
    c = await customer(rc)
    await invoice(rc, c["id"])
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    body = {"customer_id": c["id"], "kind": "unreachable"}
    for path, extra in (
        ("/v1/outcomes", body),
        ("/v1/notes", {"customer_id": c["id"], "body": "Mañana llamo"}),
        ("/v1/tasks", {"customer_id": c["id"], "title": "Llamar"}),
    ):
        future = await rc.api.post(path, json={**extra, "occurred_at": tomorrow}, headers=rc.collector)
        assert _problem_field(future) == "occurred_at"
        assert "future" in future.json()["errors"][0]["message"]
        naive = await rc.api.post(path, json={**extra, "occurred_at": "2026-01-05T10:00:00"}, headers=rc.collector)
        assert _problem_field(naive) == "occurred_at"  # without an offset the instant is a guess: refused
    assert (await rc.api.get("/v1/outcomes", headers=rc.admin)).json()["items"] == []


async def test_a_record_is_not_older_than_its_invoices(rc):
    c = await customer(rc, collector_id=str(rc.collector_id))
    old = await invoice(rc, c["id"], issue_date="2025-06-01", due_date="2025-07-01")
    new = await invoice(rc, c["id"], issue_date=rc.today.isoformat(), due_date=rc.today.isoformat())
    ten_days_ago = rc.today - timedelta(days=10)
    named = {"customer_id": c["id"], "kind": "dispute", "invoice_ids": [new["id"]], "occurred_at": _at(ten_days_ago)}
    area = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Logística"})
    refused = await rc.api.post("/v1/outcomes", json={**named, "dispute_area_id": area["id"]}, headers=rc.collector)
    assert _problem_field(refused) == "occurred_at"
    assert new["number"] in refused.json()["errors"][0]["message"]
    # without naming them, a call of ten days ago covers the invoices that existed then
    covering = {
        "customer_id": c["id"],
        "kind": "no_commitment",
        "note": "Sin fecha",
        "occurred_at": named["occurred_at"],
    }
    recorded = await post(rc.api, "/v1/outcomes", rc.collector, covering)
    assert recorded["invoice_ids"] == [old["id"]]
    note = {
        "customer_id": c["id"],
        "body": "Factura nueva",
        "invoice_ids": [new["id"]],
        "occurred_at": _at(ten_days_ago),
    }
    assert _problem_field(await rc.api.post("/v1/notes", json=note, headers=rc.collector)) == "occurred_at"
    assert (await post(rc.api, "/v1/notes", rc.collector, {**note, "occurred_at": None}))["invoice_ids"] == [new["id"]]


async def test_the_follow_up_is_due_from_the_day_of_the_call_and_lists_read_that_day(rc):
    c = await customer(rc, collector_id=str(rc.collector_id))
    await invoice(rc, c["id"])
    day = rc.today - timedelta(days=20)
    outcome = {"customer_id": c["id"], "kind": "no_commitment", "note": "Llamar en 3 días", "occurred_at": _at(day)}
    recorded = await post(rc.api, "/v1/outcomes", rc.collector, outcome)
    assert recorded["task"]["due_date"] == follow_up_date(day, 3, "AR").isoformat()
    assert recorded["task"]["overdue"] is True  # due in the past of today: a late follow-up shows as late
    assert recorded["task"]["occurred_at"] == recorded["occurred_at"]
    later = await post(rc.api, "/v1/outcomes", rc.collector, {**outcome, "occurred_at": None})
    listed = (await rc.api.get("/v1/outcomes", headers=rc.admin)).json()["items"]
    assert [o["id"] for o in listed] == [later["id"], recorded["id"]]  # by when they happened
    on_day = await rc.api.get("/v1/outcomes", params={"from": day.isoformat(), "to": day.isoformat()}, headers=rc.admin)
    assert [o["id"] for o in on_day.json()["items"]] == [recorded["id"]]
    # the KPIs count the contact in the period it happened
    excuses = (
        await rc.api.get("/v1/kpis/excuses", params={"from": day.isoformat(), "to": day.isoformat()}, headers=rc.admin)
    ).json()
    assert sum(r["outcomes"] for r in excuses["by_reason"]) == 1
    task = await post(
        rc.api, "/v1/tasks", rc.collector, {"customer_id": c["id"], "title": "Visitar", "occurred_at": _at(day)}
    )
    timeline = (await rc.api.get(f"/v1/customers/{c['id']}/timeline?order=oldest", headers=rc.admin)).json()["items"]
    task_entry = next(e for e in timeline if e["ref_id"] == task["id"])
    assert task_entry["occurred_at"][:10] == day.isoformat()
