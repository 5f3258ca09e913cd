"""Warning signs (issue 18, seed 001): each sign fires on a hand-built payment history made through the API and
not on a clean one, with its evidence; the computed risk; the refresh on payment and daily; the events."""

import uuid
from datetime import date, timedelta
from typing import Any

from shared.contracts.common import Channel
from shared.contracts.messaging import ContactInvalidated
from shared.contracts.receivables import CustomersChanged, WarningSignsChanged
from shared.outbox import queue_name
from tests.alarms.support import alarms_worker, deliver_gateway, relay, run
from tests.receivables.helpers import Ctx, customer, invoice, outbox, post, promises_made_earlier, refresh_signs
from tests.receivables.test_consumers import deliver
from tests.support import run_worker


def _day(rc: Ctx, days_ago: int) -> str:
    return (rc.today - timedelta(days=days_ago)).isoformat()


async def _invoice(rc: Ctx, customer_id: str, due_ago: int, amount: str = "1000.00") -> dict[str, Any]:
    return await invoice(rc, customer_id, amount=amount, issue_date=_day(rc, due_ago + 30), due_date=_day(rc, due_ago))


async def _pay(rc: Ctx, customer_id: str, inv: dict[str, Any], days_ago: int) -> None:
    body = {
        "customer_id": customer_id,
        "currency": "ARS",
        "amount": inv["amount"],
        "payment_date": _day(rc, days_ago),
        "invoices": [{"invoice_id": inv["id"]}],
    }
    await post(rc.api, "/v1/payments", rc.erp, body)


async def _signs(rc: Ctx, customer_id: str) -> dict[str, Any]:
    response = await rc.api.get(f"/v1/customers/{customer_id}/warning-signs", headers=rc.collector)
    assert response.status_code == 200, response.text
    return response.json()


async def _refresh(rc: Ctx) -> dict[str, Any]:
    return await refresh_signs(rc.api, rc.admin)


def _kinds(signs: dict[str, Any]) -> list[str]:
    return [s["sign"] for s in signs["signs"]]


async def _history(rc: Ctx, lateness: list[int]) -> str:
    """A customer who paid one invoice after another (due 200, 180, ... days ago), each ``lateness[k]`` days late."""
    c = await customer(rc, collector_id=str(rc.collector_id))
    for k, late in enumerate(lateness):
        due = 200 - 20 * k
        await _pay(rc, c["id"], await _invoice(rc, c["id"], due), due - late)
    return c["id"]


async def test_days_late_trend_fires_on_payment_and_not_on_a_clean_history(rc):
    late = await _history(rc, [0, 2, 1, 30, 35, 40])
    clean = await _history(rc, [0, 2, 1, 3, 0, 2])
    got = await _signs(rc, late)  # refreshed by the payments themselves: no daily refresh yet
    assert got["computed_risk_level"] == "medium"
    (sign,) = got["signs"]
    assert sign["sign"] == "days_late_trend"
    assert sign["evidence"] == {
        "recent_payments": 3,
        "recent_avg_days_late": 35,
        "earlier_payments": 3,
        "earlier_avg_days_late": 1,
    }
    assert sign["first_seen_on"] == rc.today.isoformat()
    assert got["computed_risk_reasons"] == ["pays later than before: 35 days late on the last 3 payments against 1"]
    assert got["risk_level"] is None  # the ERP's label, beside
    quiet = await _signs(rc, clean)
    assert (quiet["signs"], quiet["computed_risk_level"], quiet["computed_risk_reasons"]) == ([], "low", [])


async def test_the_trend_threshold_is_the_tenants_setting(rc):
    late = await _history(rc, [0, 0, 0, 8, 8, 8])
    assert _kinds(await _signs(rc, late)) == []
    response = await rc.api.patch(
        "/v1/receivables-settings", json={"warning_signs": {"days_late_increase": 5}}, headers=rc.admin
    )
    assert response.json()["warning_signs"]["days_late_increase"] == 5
    await _refresh(rc)
    assert _kinds(await _signs(rc, late)) == ["days_late_trend"]


async def test_thresholds_are_validated_naming_the_field(rc):
    response = await rc.api.patch(
        "/v1/receivables-settings", json={"warning_signs": {"recent_payments": 0}}, headers=rc.admin
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "recent_payments" in response.text
    refused = await rc.api.post("/v1/warning-signs/refresh", json={}, headers=rc.collector)
    assert refused.status_code == 403


async def test_small_invoices_paid_before_larger_older_ones(rc):
    c = await customer(rc)
    large = await _invoice(rc, c["id"], 60, "5000.00")
    await _invoice(rc, c["id"], 50, "4000.00")
    small = [await _invoice(rc, c["id"], due, "500.00") for due in (40, 30)]
    await _pay(rc, c["id"], small[0], 20)
    assert _kinds(await _signs(rc, c["id"])) == []  # one such payment: under the threshold (2)
    await _pay(rc, c["id"], small[1], 10)
    got = await _signs(rc, c["id"])
    (sign,) = got["signs"]
    assert sign["sign"] == "small_before_large"
    assert sign["evidence"] == {
        "payments": 2,
        "window_days": 90,
        "latest_paid": small[1]["number"],
        "latest_left_open": large["number"],
    }
    clean = await customer(rc)
    big = await _invoice(rc, clean["id"], 60, "5000.00")
    little = await _invoice(rc, clean["id"], 40, "500.00")
    await _pay(rc, clean["id"], big, 20)  # the larger, older one first
    await _pay(rc, clean["id"], little, 10)
    assert _kinds(await _signs(rc, clean["id"])) == []


async def test_broken_promises_and_growing_overdue_make_the_risk_high(rc):
    c = await customer(rc, collector_id=str(rc.collector_id))
    for due in (70, 40, 10):  # overdue 1000 sixty days ago, 2000 thirty days ago, 3000 now
        await _invoice(rc, c["id"], due)
    clean = await customer(rc)
    await _invoice(rc, clean["id"], 70)  # overdue, but not growing
    promised = rc.today + timedelta(days=1)
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {"customer_id": c["id"], "kind": "promise_to_pay", "promised_date": promised.isoformat()},
    )
    await promises_made_earlier(rc, 3)
    await post(rc.api, "/v1/promises/detect-broken", rc.admin, {"as_of": rc.today.isoformat()}, expect=200)
    counts = await _refresh(rc)
    assert (counts["day"], counts["customers"], counts["changed"], counts["signs"]) == (rc.today.isoformat(), 2, 2, 2)
    got = await _signs(rc, c["id"])
    assert got["computed_risk_level"] == "high"
    broken, growing = got["signs"]
    assert broken["evidence"] == {"broken": 3, "window_days": 90, "last_broken_on": rc.today.isoformat()}
    assert growing["evidence"] == {
        "currency": "ARS",
        "overdue_60_days_ago": "1000.00",
        "overdue_30_days_ago": "2000.00",
        "overdue_now": "3000.00",
    }
    assert got["computed_risk_reasons"] == [
        "broke 3 promises in 90 days",
        "overdue balance growing: 1000.00 ARS 60 days ago, 2000.00 30 days ago, 3000.00 now",
    ]
    assert (await _signs(rc, clean["id"]))["computed_risk_level"] == "low"


async def test_bounced_contacts(rc):
    c = await customer(
        rc,
        contacts=[
            {"channel": "email", "address": "malo@cliente.example"},
            {"channel": "email", "address": "bueno@cliente.example"},
        ],
    )
    event = ContactInvalidated(customer_id=c["id"], channel=Channel.EMAIL, address="malo@cliente.example", reason="550")
    await deliver(rc, event)
    await _refresh(rc)
    (sign,) = (await _signs(rc, c["id"]))["signs"]
    assert (sign["sign"], sign["evidence"]) == (
        "bad_contacts",
        {"invalid": 1, "contacts": ["email:malo@cliente.example"]},
    )


async def test_events_once_and_none_when_nothing_changed(rc):
    late = await _history(rc, [0, 0, 0, 30, 30, 30])
    events = await outbox(rc.stack, WarningSignsChanged)
    assert [c.computed_risk_level for e in events for c in e.customers if str(c.customer_id) == late][-1] == "medium"
    before = len(events)
    snapshots = [s for e in await outbox(rc.stack, CustomersChanged) for s in e.customers if str(s.customer_id) == late]
    assert snapshots[-1].computed_risk_level == "medium"
    assert snapshots[-1].computed_risk_reasons == [
        "pays later than before: 30 days late on the last 3 payments against 0"
    ]
    counts = await _refresh(rc)
    assert (counts["changed"], counts["risk_changed"]) == (0, 0)
    assert len(await outbox(rc.stack, WarningSignsChanged)) == before  # nothing changed: nothing written
    other = await customer(rc)
    counts = await _refresh(rc)
    assert (counts["changed"], counts["risk_changed"]) == (1, 1)  # the new customer: low from now on
    (last,) = (await outbox(rc.stack, WarningSignsChanged))[before:]
    assert [(str(c.customer_id), c.computed_risk_level, c.signs) for c in last.customers] == [(other["id"], "low", [])]
    assert last.day == rc.today


async def test_the_daily_refresh_runs_once_per_local_day(rc):
    from services.receivables.worker import WorkerSettings

    late = await _history(rc, [0, 0, 0, 30, 30, 30])
    await rc.api.patch("/v1/receivables-settings", json={"warning_signs": {"for_high_risk": 1}}, headers=rc.admin)
    await rc.stack.arq.enqueue_job("refresh_warning_signs", str(rc.tenant_id), _queue_name=queue_name("receivables"))
    await run_worker(WorkerSettings)
    assert (await _signs(rc, late))["computed_risk_level"] == "high"
    await rc.api.patch("/v1/receivables-settings", json={"warning_signs": {"for_high_risk": 2}}, headers=rc.admin)
    await rc.stack.arq.enqueue_job("refresh_warning_signs", str(rc.tenant_id), _queue_name=queue_name("receivables"))
    await run_worker(WorkerSettings)
    assert (await _signs(rc, late))["computed_risk_level"] == "high"  # already refreshed today


async def test_lists_filter_by_sign_collector_and_computed_risk(rc):
    late = [await _history(rc, [0, 0, 0, 30, 30, 30]) for _ in range(3)]
    await _history(rc, [0, 0, 0, 0, 0, 0])
    await customer(rc, contacts=[{"channel": "email", "address": "x@cliente.example"}])
    listed = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "sign": "days_late_trend", "collector_id": str(rc.collector_id)}
        if cursor:
            params["cursor"] = cursor
        page = (await rc.api.get("/v1/warning-signs", params=params, headers=rc.collector)).json()
        listed += [item["customer_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert listed == sorted(late)
    high = await rc.api.get("/v1/warning-signs", params={"computed_risk_level": "high"}, headers=rc.collector)
    assert high.json()["items"] == []
    medium = await rc.api.get("/v1/customers", params={"computed_risk_level": "medium"}, headers=rc.collector)
    assert sorted(c["id"] for c in medium.json()["items"]) == sorted(late)
    missing = await rc.api.get(f"/v1/customers/{uuid.uuid4()}/warning-signs", headers=rc.collector)
    assert missing.status_code == 404


async def test_a_sandbox_is_refreshed_once_per_day_of_its_test_clock(api, stack):
    from datetime import UTC, datetime

    from services.receivables.signs.service import refresh_due_tenants
    from shared.clock import wall_now
    from shared.db import create_sessionmaker
    from tests.receivables.helpers import setup_tenant, sync

    start = datetime(2027, 4, 10, 15, 0, tzinfo=UTC)  # months after the wall clock's today
    rc = await setup_tenant(api, stack, sandbox=True)
    await post(api, "/v1/test-clock", rc.admin, {"frozen_time": start.isoformat()}, expect=200)
    await sync(stack)
    c = await customer(rc)
    for due in ("2027-02-08", "2027-03-10", "2027-04-01"):  # overdue 1000, 2000, 3000 on the tenant's clock only
        await invoice(rc, c["id"], issue_date="2027-01-01", due_date=due)
    sessionmaker = create_sessionmaker(stack.engine)
    refresh = [await refresh_due_tenants(sessionmaker, wall_now(), rc.tenant_id, at=start) for _ in range(2)]
    assert refresh == [1, 0]  # once on its day
    (changed,) = await outbox(stack, WarningSignsChanged)
    assert changed.day == date(2027, 4, 10)
    assert [s.sign for s in changed.customers[0].signs] == ["growing_overdue"]
    assert await refresh_due_tenants(sessionmaker, wall_now(), rc.tenant_id, at=start + timedelta(days=1)) == 1


async def test_the_collectors_weekly_digest_words_the_signs_computed_here(rc):
    """Issue 18: the signs a payment computed reach alarms (``WarningSignsChanged`` through the outbox and alarms'
    subscription) and the customer's collector reads them, with their evidence, in the weekly digest."""
    await deliver_gateway(rc.stack)  # alarms knows the tenant and its collector
    late = await _history(rc, [0, 2, 1, 30, 35, 40])
    await relay(rc.stack, "receivables")
    await alarms_worker(rc.stack)
    result = await run(rc.api, rc.admin, as_of=rc.today.isoformat(), alarms=["warning_signs"])
    (digest,) = result["digests"]
    assert (digest["audience"], digest["recipient"]["id"]) == ("collector", str(rc.collector_id))
    (line,) = digest["lines"]
    name = (await rc.api.get(f"/v1/customers/{late}", headers=rc.admin)).json()["name"]
    evidence = "paga más tarde que antes (35 días de atraso en los últimos 3 pagos contra 1)"
    assert line == f"{name} (riesgo medio): {evidence}"
