"""The warning signs' refresh is computed by the worker and never holds a request near the gateway's timeout (issue
13, point 6): answered with its counts when the worker is quick, else 202 with the refresh to poll; one at a time
per tenant; a worker dying mid-refresh is retried by arq and the refresh completes; a lost job is queued again."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from arq.jobs import Job
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.signs import service
from services.receivables.signs.jobs import refresh_job_id
from services.receivables.signs.repository import RefreshCounts
from services.receivables.worker import WorkerSettings
from shared.outbox import queue_name
from shared.worker import deserialize_job
from tests.receivables.helpers import Ctx, customer, invoice, post, post_refresh, setup_tenant
from tests.support import Killed, run_worker

QUEUE = queue_name("receivables")


@pytest.fixture
def no_wait(rc, monkeypatch):
    """The service answers a refresh at once, whatever the worker does (as a portfolio too large to wait for)."""
    monkeypatch.setattr(rc.stack.services["receivables"].state.settings, "warning_signs_wait_seconds", 0)


@pytest.fixture
def long_wait(rc, monkeypatch):
    """The service waits for the worker as long as it takes (no test depends on how fast the machine is)."""
    monkeypatch.setattr(rc.stack.services["receivables"].state.settings, "warning_signs_wait_seconds", 600)


async def _portfolio(rc: Ctx) -> None:
    """Three customers: one whose overdue balance grew (a sign), two clean."""
    growing = await customer(rc)
    for due in (70, 40, 10):
        day = rc.today - timedelta(days=due)
        await invoice(rc, growing["id"], issue_date=(day - timedelta(30)).isoformat(), due_date=day.isoformat())
    for _ in range(2):
        await customer(rc)


async def _direct_refresh(rc: Ctx) -> RefreshCounts:
    """What ``service.refresh_tenant`` counts on the data as it is now, rolled back (the state is left as it was)."""
    async with rc.stack.engine.connect() as conn, AsyncSession(bind=conn) as session:
        counts = await service.refresh_tenant(session, rc.tenant_id, rc.today)
        await session.rollback()
    return counts


def _counts(body: dict[str, Any]) -> tuple[Any, ...]:
    return body["customers"], body["changed"], body["risk_changed"], body["signs"]


async def _get(rc: Ctx, refresh_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await rc.api.get(f"/v1/warning-signs/refreshes/{refresh_id}", headers=headers or rc.admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_small_portfolio_is_answered_with_its_counts(rc, long_wait):
    await _portfolio(rc)
    expected = await _direct_refresh(rc)
    response = await post_refresh(rc.api, rc.admin)
    assert response.status_code == 200, response.text  # as before the refresh went to the worker
    body = response.json()
    assert body["status"] == "completed"
    assert (body["day"], _counts(body)) == (rc.today.isoformat(), (3, 3, 3, 1))
    assert _counts(body) == (expected.customers, expected.changed, expected.risk_changed, expected.signs)
    assert (body["trigger"], body["requested_by"], body["error"]) == ("manual", f"user:{rc.tenant.admin_id}", None)
    times = [datetime.fromisoformat(body[k]) for k in ("requested_at", "started_at", "finished_at")]
    assert times == sorted(times)
    assert await _get(rc, body["id"], rc.collector) == body  # everyone reads the refreshes, as the signs
    again = await post_refresh(rc.api, rc.admin)
    assert again.status_code == 200
    assert again.json()["id"] != body["id"]  # a new refresh once the last one ended; nothing changed this time
    assert _counts(again.json()) == (3, 0, 0, 1)
    listed = await rc.api.get("/v1/warning-signs/refreshes", params={"limit": 1}, headers=rc.collector)
    assert [r["id"] for r in listed.json()["items"]] == [again.json()["id"]]  # newest first
    rest = await rc.api.get(
        "/v1/warning-signs/refreshes", params={"cursor": listed.json()["next_cursor"]}, headers=rc.collector
    )
    assert ([r["id"] for r in rest.json()["items"]], rest.json()["next_cursor"]) == ([body["id"]], None)


async def test_past_the_wait_the_refresh_answers_202_and_is_polled_to_the_counts_of_a_direct_refresh(rc, no_wait):
    await _portfolio(rc)
    expected = await _direct_refresh(rc)
    response = await rc.api.post("/v1/warning-signs/refresh", json={}, headers=rc.admin)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["status"], _counts(queued), queued["day"]) == ("queued", (None,) * 4, rc.today.isoformat())
    location = f"/v1/warning-signs/refreshes/{queued['id']}"
    assert response.headers["location"] == location
    assert (await _get(rc, queued["id"]))["status"] == "queued"
    second = await rc.api.post("/v1/warning-signs/refresh", json={}, headers=rc.admin)
    assert (second.status_code, second.json()["id"]) == (202, queued["id"])  # the one queued, not a second
    assert await rc.stack.redis.zcard(QUEUE) == 1  # its job once

    await run_worker(WorkerSettings)
    done = await _get(rc, queued["id"])
    assert done["status"] == "completed"
    assert _counts(done) == (expected.customers, expected.changed, expected.risk_changed, expected.signs)
    signs = await rc.api.get("/v1/warning-signs", headers=rc.admin)
    assert len(signs.json()["items"]) == 1  # the refresh wrote what it counted
    running = await rc.api.get("/v1/warning-signs/refreshes", params={"status": "running"}, headers=rc.admin)
    assert running.json()["items"] == []
    completed = await rc.api.get("/v1/warning-signs/refreshes", params={"status": "completed"}, headers=rc.admin)
    assert [r["id"] for r in completed.json()["items"]] == [queued["id"]]


async def test_another_tenants_refresh_is_not_found_and_a_collector_may_not_refresh(rc, no_wait):
    response = await rc.api.post("/v1/warning-signs/refresh", json={}, headers=rc.admin)
    assert response.status_code == 202, response.text
    other = await setup_tenant(rc.api, rc.stack)
    for refresh_id in (response.json()["id"], str(uuid.uuid4())):
        missing = await rc.api.get(f"/v1/warning-signs/refreshes/{refresh_id}", headers=other.admin)
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
    assert (await rc.api.get("/v1/warning-signs/refreshes", headers=other.admin)).json()["items"] == []
    # the other tenant's own refresh is not held up by this one's
    assert (await rc.api.post("/v1/warning-signs/refresh", json={}, headers=other.admin)).status_code == 202
    refused = await rc.api.post("/v1/warning-signs/refresh", json={}, headers=rc.collector)
    assert refused.status_code == 403
    bad = await rc.api.get("/v1/warning-signs/refreshes", params={"status": "done"}, headers=rc.admin)
    assert bad.status_code == 422
    assert "status" in bad.text


async def test_a_worker_dying_mid_refresh_is_retried_by_arq_and_the_refresh_completes(rc, no_wait, monkeypatch):
    await _portfolio(rc)
    expected = await _direct_refresh(rc)
    real = service.refresh_tenant

    async def dies_after_the_work(*args: Any) -> RefreshCounts:
        await real(*args)  # everything written, in the transaction that is never committed
        raise Killed

    monkeypatch.setattr(service, "refresh_tenant", dies_after_the_work)
    refresh_id = (await rc.api.post("/v1/warning-signs/refresh", json={}, headers=rc.admin)).json()["id"]
    with pytest.raises(Killed):
        await run_worker(WorkerSettings)
    assert (await _get(rc, refresh_id))["status"] == "running"
    assert (await rc.api.get("/v1/warning-signs", headers=rc.admin)).json()["items"] == []  # nothing half-written
    job_id = refresh_job_id(refresh_id)
    assert await rc.stack.redis.zscore(QUEUE, job_id) is not None  # arq keeps the dead worker's job queued
    again = await rc.api.post("/v1/warning-signs/refresh", json={}, headers=rc.admin)
    assert again.json()["id"] == refresh_id  # the one in flight; its job is not doubled
    assert await rc.stack.redis.zcard(QUEUE) == 1

    monkeypatch.setattr(service, "refresh_tenant", real)
    # arq lets another worker take the job once the dead one's in-progress key expires (the job's timeout + 10 s)
    assert await rc.stack.redis.delete(f"arq:in-progress:{job_id}") == 1
    await run_worker(WorkerSettings)
    done = await _get(rc, refresh_id)
    assert done["status"] == "completed"
    assert _counts(done) == (expected.customers, expected.changed, expected.risk_changed, expected.signs)
    result = await Job(job_id, rc.stack.arq, _queue_name=QUEUE, _deserializer=deserialize_job).result_info()
    assert result is not None and (result.job_try, result.success) == (2, True)


async def test_a_lost_job_is_queued_again_by_the_hourly_cron(rc, no_wait):
    await _portfolio(rc)
    refresh_id = (await rc.api.post("/v1/warning-signs/refresh", json={}, headers=rc.admin)).json()["id"]
    await rc.stack.redis.flushdb()  # the job is lost with Redis
    await run_worker(WorkerSettings)
    assert (await _get(rc, refresh_id))["status"] == "queued"
    await rc.stack.arq.enqueue_job("refresh_warning_signs", str(rc.tenant_id), _queue_name=QUEUE)
    await run_worker(WorkerSettings)
    assert (await _get(rc, refresh_id))["status"] == "completed"


async def test_a_failed_refresh_says_why_and_holds_no_later_one_back(rc, no_wait, monkeypatch):
    real = service.refresh_tenant

    async def fails(*args: Any) -> RefreshCounts:
        raise ValueError("thresholds out of range")

    monkeypatch.setattr(service, "refresh_tenant", fails)
    refresh_id = (await rc.api.post("/v1/warning-signs/refresh", json={}, headers=rc.admin)).json()["id"]
    await run_worker(WorkerSettings)
    failed = await _get(rc, refresh_id)
    assert (failed["status"], failed["error"], failed["customers"]) == (
        "failed",
        "ValueError: thresholds out of range",
        None,
    )
    assert failed["finished_at"] is not None
    monkeypatch.setattr(service, "refresh_tenant", real)
    later = await rc.api.post("/v1/warning-signs/refresh", json={}, headers=rc.admin)
    assert later.json()["id"] != refresh_id


async def test_the_daily_refresh_is_recorded_with_its_counts(rc, no_wait):
    await _portfolio(rc)
    await rc.stack.arq.enqueue_job("refresh_warning_signs", str(rc.tenant_id), _queue_name=QUEUE)
    await run_worker(WorkerSettings)
    (daily,) = (await rc.api.get("/v1/warning-signs/refreshes", headers=rc.admin)).json()["items"]
    assert (daily["trigger"], daily["status"], daily["requested_by"], daily["day"]) == (
        "daily",
        "completed",
        None,
        rc.today.isoformat(),
    )
    assert _counts(daily) == (3, 3, 3, 1)
    # a manual refresh the same day is its own refresh
    body = await post(rc.api, "/v1/warning-signs/refresh", rc.admin, {}, expect=202)
    assert body["trigger"] == "manual"
