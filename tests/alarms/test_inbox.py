"""The alarms inbox (issue 18): each user lists what alarms sent them, newest first, and acknowledges one or all;
nobody sees another's items."""

from datetime import UTC, date, datetime

from shared.contracts.gateway import LoginFailuresExceeded
from tests.alarms.support import alarms_tenant, collector, feed, run
from tests.alarms.test_manager_alarms import task
from tests.support import create_tenant, two_pages

PROBLEM = "application/problem+json"


async def test_each_user_lists_and_acknowledges_their_own_items(api, stack):
    tenant = await alarms_tenant(api, stack)
    carla, carla_headers = await collector(api, stack, tenant)
    bruno, bruno_headers = await collector(api, stack, tenant)
    await task(stack, tenant.id, "Llamar", carla, date(2026, 11, 20))
    await task(stack, tenant.id, "Visitar", bruno, date(2026, 11, 20))
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        await run(api, tenant.admin, as_of=day, alarms=["tasks_overdue"])

    inbox = await api.get("/v1/alarms/inbox", headers=carla_headers)
    assert inbox.status_code == 200, inbox.text
    items = inbox.json()["items"]
    assert [(i["alarm"], i["period"], i["acknowledged_at"]) for i in items] == [
        ("tasks_overdue", "2026-11-25", None),
        ("tasks_overdue", "2026-11-24", None),
        ("tasks_overdue", "2026-11-23", None),
    ]
    assert {i["kind"] for i in items} == {"digest"}
    assert (items[0]["title"], items[0]["row_count"]) == ("Tareas vencidas", 1)
    assert items[0]["lines"] == ["Llamar: vencida el 20 nov 2026 (5 días)"]
    assert items[0]["action"] == "Complete cada tarea o reprograme su vencimiento."
    digest = await api.get(f"/v1/alarms/{items[0]['source_id']}", headers=carla_headers)
    assert digest.json()["rows"][0]["title"] == "Llamar"
    # newest first, by pages
    assert [i["id"] for i in await two_pages(api, "/v1/alarms/inbox", carla_headers, limit=2)] == [
        i["id"] for i in items
    ]

    # one acknowledged (twice: the first time is kept); the unacknowledged filter leaves it out
    done = await api.post(f"/v1/alarms/inbox/{items[1]['id']}/acknowledge", headers=carla_headers)
    assert done.status_code == 200 and done.json()["acknowledged_at"]
    again = await api.post(f"/v1/alarms/inbox/{items[1]['id']}/acknowledge", headers=carla_headers)
    assert again.json()["acknowledged_at"] == done.json()["acknowledged_at"]
    waiting = (await api.get("/v1/alarms/inbox", params={"unacknowledged": "true"}, headers=carla_headers)).json()
    assert [i["id"] for i in waiting["items"]] == [items[0]["id"], items[2]["id"]]

    # bruno sees only his, and cannot acknowledge carla's
    his = (await api.get("/v1/alarms/inbox", headers=bruno_headers)).json()["items"]
    assert len(his) == 3 and not {i["id"] for i in his} & {i["id"] for i in items}
    foreign = await api.post(f"/v1/alarms/inbox/{items[0]['id']}/acknowledge", headers=bruno_headers)
    assert foreign.status_code == 404 and foreign.headers["content-type"].startswith(PROBLEM)

    # all at once
    everything = await api.post("/v1/alarms/inbox/acknowledge-all", headers=carla_headers)
    assert everything.json() == {"acknowledged": 2, "unacknowledged": 0}
    left = (await api.get("/v1/alarms/inbox", params={"unacknowledged": "true"}, headers=carla_headers)).json()
    assert left["items"] == []
    his_waiting = await api.get("/v1/alarms/inbox", params={"unacknowledged": "true"}, headers=bruno_headers)
    assert len(his_waiting.json()["items"]) == 3

    # the admin, who received nothing, has an empty inbox; another tenant's user too
    assert (await api.get("/v1/alarms/inbox", headers=tenant.admin)).json()["items"] == []
    other = await create_tenant(api)
    assert (await api.get("/v1/alarms/inbox", headers=other.admin)).json()["items"] == []
    stranger = await api.post(f"/v1/alarms/inbox/{items[0]['id']}/acknowledge", headers=other.admin)
    assert stranger.status_code == 404


async def test_bad_input_names_the_field(api, stack):
    tenant = await alarms_tenant(api, stack)
    bad_id = await api.post("/v1/alarms/inbox/not-a-uuid/acknowledge", headers=tenant.admin)
    assert bad_id.status_code == 422 and bad_id.headers["content-type"].startswith(PROBLEM)
    bad_alarm = await api.get("/v1/alarms/inbox", params={"alarm": "nope"}, headers=tenant.admin)
    assert bad_alarm.status_code == 422
    assert "alarm" in [e["field"] for e in bad_alarm.json()["errors"]]


async def test_an_admin_finds_each_login_alert_in_their_inbox(api, stack):
    tenant = await alarms_tenant(api, stack)
    alert = LoginFailuresExceeded(
        tenant_id=tenant.id, username="carla@acme.example", address="203.0.113.7", failures=10, window_seconds=3600
    )
    await feed(stack, tenant.id, [alert], at=datetime(2026, 11, 23, 12, tzinfo=UTC))
    await feed(stack, tenant.id, [alert])  # the next window's announcement: another alert
    items = (await api.get("/v1/alarms/inbox", params={"kind": "login_alert"}, headers=tenant.admin)).json()["items"]
    assert [(i["kind"], i["alarm"], i["period"], i["row_count"]) for i in items] == [("login_alert", None, None, 1)] * 2
    assert items[0]["summary"] == "La cuenta carla@acme.example falló 10 veces al iniciar sesión en la última hora."
    listed = (await api.get("/v1/alarms/login-alerts", headers=tenant.admin)).json()["items"]
    assert [i["source_id"] for i in items] == [a["id"] for a in listed]
    _, collector_headers = await collector(api, stack, tenant)
    assert (await api.get("/v1/alarms/inbox", headers=collector_headers)).json()["items"] == []
