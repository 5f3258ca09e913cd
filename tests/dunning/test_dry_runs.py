"""A dry run is computed by the worker and never holds a request near the gateway's timeout (issue 13, point 6):
answered 201 with the plan when the worker is quick, else 202 with the run to poll; a lost job is re-driven."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from dunning_service.runs.jobs import DRY_RUN_JOB, sweep_runs
from dunning_service.worker import WorkerSettings
from tests.dunning.support import Messaging, Portfolio, create_strategy, dunning_tenant, post_dry_run
from tests.support import run_worker

MONDAY = date(2025, 6, 2)


async def two_reminders(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    for name in ("Ana SRL", "Beto SA"):
        customer = await portfolio.customer(name, email=f"{name[:4].lower()}@example.com")
        await portfolio.invoice(customer, f"F-{name[:4]}", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(30))
    return tenant


@pytest.fixture
def no_wait(stack, monkeypatch):
    """The service answers a dry run at once, whatever the worker does (as a run too long to wait for)."""
    monkeypatch.setattr(stack.services["dunning"].state.settings, "dry_run_wait_seconds", 0)


async def test_a_dry_run_is_answered_with_its_plan_when_the_worker_is_quick(api, stack):
    tenant = await two_reminders(api, stack)
    response = await post_dry_run(api, tenant.admin, MONDAY, plan_limit=1)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "completed"
    assert body["counts"]["communications"] == 2
    assert len(body["plan"]) == 1
    assert body["plan_truncated"] is True
    # the run keeps its plan: reading it again gives the same answer
    read = (await api.get(f"/v1/dunning-runs/{body['id']}", headers=tenant.admin)).json()
    assert (read["plan"], read["plan_truncated"], read["counts"]) == (body["plan"], True, body["counts"])
    assert await Messaging(stack, tenant.id).take() == []  # nothing is sent


async def test_a_dry_run_not_done_in_time_answers_202_and_is_polled_to_its_plan(api, stack, no_wait):
    tenant = await two_reminders(api, stack)
    response = await api.post(
        "/v1/dunning-runs", json={"as_of": MONDAY.isoformat(), "dry_run": True}, headers=tenant.admin
    )
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["status"] == "queued"
    assert queued["dry_run"] is True
    assert queued["plan"] is None
    assert response.headers["location"] == f"/v1/dunning-runs/{queued['id']}"
    assert (await api.get(response.headers["location"], headers=tenant.admin)).json()["status"] == "queued"

    await run_worker(WorkerSettings)
    run = (await api.get(response.headers["location"], headers=tenant.admin)).json()
    assert run["status"] == "completed"
    assert run["counts"]["communications"] == 2
    assert sorted(p["customer_name"] for p in run["plan"]) == ["Ana SRL", "Beto SA"]
    assert run["plan_truncated"] is False
    assert run["plan"][0]["invoices"][0]["step_key"] == "od-1"
    listed = (await api.get("/v1/dunning-runs", params={"dry_run": True}, headers=tenant.admin)).json()
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    assert "plan" not in listed["items"][0]  # a list carries no plans


async def test_a_closed_day_is_answered_at_once_without_the_worker(api, stack, no_wait):
    tenant = await dunning_tenant(api, stack)
    response = await api.post("/v1/dunning-runs", json={"as_of": "2025-07-09", "dry_run": True}, headers=tenant.admin)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "skipped"
    assert response.json()["plan"] == []


async def test_a_dry_run_whose_job_or_worker_was_lost_is_re_driven_by_the_sweeper(api, stack, no_wait):
    tenant = await two_reminders(api, stack)
    ctx = {"engine": stack.engine, "redis": stack.arq}
    lost = await api.post("/v1/dunning-runs", json={"as_of": MONDAY.isoformat(), "dry_run": True}, headers=tenant.admin)
    dead = await api.post("/v1/dunning-runs", json={"as_of": MONDAY.isoformat(), "dry_run": True}, headers=tenant.admin)
    lost_id, dead_id = lost.json()["id"], dead.json()["id"]
    await stack.redis.flushdb()  # both jobs are lost
    async with stack.engine.begin() as conn:  # and one was being computed by a worker that died
        await conn.execute(
            text("UPDATE dunning.runs SET status = 'running', started_at = now(), heartbeat_at = now() WHERE id = :id"),
            {"id": dead_id},
        )
    assert await sweep_runs(ctx) == []  # too recent to call lost
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert {str(r) for r in await sweep_runs(ctx, now=later)} == {lost_id, dead_id}
    for run_id in (lost_id, dead_id):
        assert await stack.redis.keys(f"arq:job:{DRY_RUN_JOB}:{run_id}:*")
    await run_worker(WorkerSettings)
    for run_id in (lost_id, dead_id):
        run = (await api.get(f"/v1/dunning-runs/{run_id}", headers=tenant.admin)).json()
        assert (run["status"], run["counts"]["communications"], len(run["plan"])) == ("completed", 2, 2)
    assert await sweep_runs(ctx, now=later) == []
