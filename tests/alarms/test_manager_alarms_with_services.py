"""Issue 18's alarms with the real producers and the scheduler: a task made through receivables' API reaches alarms
through the outbox and its subscription (``receivables.task_changed``), the cron takes a turned-on manager's alarm at
the tenant's local hour, and the worker sends it once; the digest lands in the assignee's inbox."""

from datetime import UTC, datetime, timedelta

from alarms_service.digests.jobs import schedule_runs
from alarms_service.settings import AlarmsSettings
from tests.alarms.support import alarms_tenant, alarms_worker, collector, relay, run, sent_communications
from tests.support import tenant_today


async def test_a_task_made_in_receivables_is_told_overdue_by_the_scheduled_alarm(api, stack):
    tenant = await alarms_tenant(api, stack)
    carla, carla_headers = await collector(api, stack, tenant)
    on = {"tasks_overdue": {"enabled": True}}
    assert (await api.patch("/v1/alarm-settings", json=on, headers=tenant.admin)).status_code == 200
    made = await api.post(
        "/v1/tasks", json={"title": "Conciliar el depósito", "due_date": "2026-11-20"}, headers=carla_headers
    )
    assert made.status_code == 201, made.text
    await relay(stack, "receivables")
    await alarms_worker(stack)

    # Tuesday 24 November 08:00 in Buenos Aires (Monday 23 is a holiday there)
    ctx = {"engine": stack.engine, "redis": stack.arq, "settings": AlarmsSettings()}
    assert await schedule_runs(ctx, now=datetime(2026, 11, 24, 11, 0, tzinfo=UTC)) == 1
    assert await schedule_runs(ctx, now=datetime(2026, 11, 24, 11, 15, tzinfo=UTC)) == 0  # once per period
    await alarms_worker(stack)
    (sent,) = [c for c in await sent_communications(stack) if c.data["title"] == "Tareas vencidas"]
    assert sent.to == carla["email"]
    assert sent.data["lines"] == ["Conciliar el depósito: vencida el 20 nov 2026 (4 días)"]
    inbox = (await api.get("/v1/alarms/inbox", headers=carla_headers)).json()["items"]
    assert [(i["alarm"], i["period"]) for i in inbox] == [("tasks_overdue", "2026-11-24")]

    # done in receivables: no longer overdue
    done = await api.patch(f"/v1/tasks/{made.json()['id']}", json={"status": "done"}, headers=carla_headers)
    assert done.status_code == 200, done.text
    await relay(stack, "receivables")
    await alarms_worker(stack)
    today = tenant_today()
    later = await run(api, tenant.admin, as_of=(today - timedelta(days=1)).isoformat(), alarms=["tasks_overdue"])
    assert later["digests"] == []
