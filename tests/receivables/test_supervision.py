"""The supervisor's view of each collector (issue 18, seed 004: "Identifica la situación de cada cobrador") on a
day built by hand through the API; the figures are written here, not recomputed."""

import uuid
from datetime import timedelta

from tests.receivables.helpers import customer, invoice, post
from tests.receivables.test_worklist import at, owing
from tests.support import create_user


async def _get(rc, headers, expect=200, **params):
    response = await rc.api.get("/v1/supervision/collectors", params=params, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def _day(rc):
    """Collector A (ours) and B, both in supervisor S's team.

    A: c1 owes (on the list); c2 called today, promised tomorrow (forgetting); c3 called today, no commitment
       (inability to pay: a follow-up task); c4 promised yesterday, paid today (kept); a task of A's due yesterday.
    B: c5 owes (on the list), nothing done.
    """
    other, _ = await create_user(rc.api, rc.tenant, "collector")
    supervisor, s_headers = await create_user(rc.api, rc.tenant, "supervisor")
    _manager, m_headers = await create_user(rc.api, rc.tenant, "manager")
    boss = await post(rc.api, "/v1/people", rc.admin, {"kind": "supervisor", "name": "S", "user_id": supervisor["id"]})
    for user, name in ((str(rc.collector_id), "A"), (other["id"], "B")):
        body = {"kind": "staff", "name": name, "user_id": user, "supervisor_id": boss["id"]}
        await post(rc.api, "/v1/people", rc.admin, body)

    await owing(rc)
    c2, _ = await owing(rc)
    tomorrow = (rc.today + timedelta(days=1)).isoformat()
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {"customer_id": c2["id"], "kind": "promise_to_pay", "promised_date": tomorrow, "excuse": "forgetting"},
    )
    c3, _ = await owing(rc)
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {"customer_id": c3["id"], "kind": "no_commitment", "note": "Sin ventas", "excuse": "inability_to_pay"},
    )
    c4, inv4 = await owing(rc, amount="700.00")
    yesterday = rc.today - timedelta(days=1)
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {"customer_id": c4["id"], "kind": "promise_to_pay", "promised_date": tomorrow, "occurred_at": at(yesterday)},
    )
    payment = {
        "customer_id": c4["id"],
        "currency": "ARS",
        "amount": "700.00",
        "payment_date": rc.today.isoformat(),
        "invoices": [{"invoice_id": inv4["id"]}],
    }
    await post(rc.api, "/v1/payments", rc.admin, payment)
    await post(rc.api, "/v1/tasks", rc.collector, {"title": "Conciliar pagos", "due_date": yesterday.isoformat()})

    c5 = await customer(rc, collector_id=other["id"])
    await invoice(rc, c5["id"], due_date=(rc.today - timedelta(days=3)).isoformat())
    return other, s_headers, m_headers


def _a(rc):
    return {
        "user_id": str(rc.collector_id),
        "customers": 4,
        "worklist_size": 1,
        "contacts": 2,
        "customers_contacted": 2,
        "promises_obtained": 1,
        "promises_kept": 1,
        "promises_broken": 0,
        "excuses": {"forgetting": 1, "inability_to_pay": 1},
        "tasks_open": 2,
        "tasks_overdue": 1,
    }


async def test_each_collectors_situation_on_a_hand_built_day(rc):
    other, s_headers, m_headers = await _day(rc)
    b = {
        "user_id": other["id"],
        "customers": 1,
        "worklist_size": 1,
        "contacts": 0,
        "customers_contacted": 0,
        "promises_obtained": 0,
        "promises_kept": 0,
        "promises_broken": 0,
        "excuses": {},
        "tasks_open": 0,
        "tasks_overdue": 0,
    }
    answer = await _get(rc, s_headers)  # a supervisor: its team by default
    assert (answer["from"], answer["to"], answer["today"]) == (rc.today.isoformat(),) * 3
    got = [{k: v for k, v in row.items() if k != "name"} for row in answer["collectors"]]
    assert sorted(got, key=lambda r: r["user_id"]) == sorted([_a(rc), b], key=lambda r: r["user_id"])
    assert all(row["name"] for row in answer["collectors"])

    # from yesterday: the promise obtained yesterday (and its call) count too
    since = await _get(
        rc, m_headers, collector_id=str(rc.collector_id), **{"from": (rc.today - timedelta(days=1)).isoformat()}
    )
    (a,) = since["collectors"]
    assert (a["contacts"], a["customers_contacted"], a["promises_obtained"], a["promises_kept"]) == (3, 3, 2, 1)

    everyone = await _get(rc, m_headers)  # a manager: every collector by default
    assert {row["user_id"] for row in everyone["collectors"]} == {str(rc.collector_id), other["id"]}


async def test_who_may_see_the_collectors_and_the_period_is_checked(rc):
    _other, s_headers, m_headers = await _day(rc)
    refused = await _get(rc, rc.collector, expect=403)
    assert refused["type"].endswith("/forbidden")
    assert len((await _get(rc, s_headers, team="all"))["collectors"]) == 2  # the team of everyone
    bad = await _get(
        rc, m_headers, expect=422, **{"from": rc.today.isoformat(), "to": (rc.today - timedelta(days=1)).isoformat()}
    )
    assert bad["errors"][0]["field"] == "from"
    stranger = await _get(rc, m_headers, expect=422, collector_id=str(uuid.uuid4()))
    assert stranger["errors"][0]["field"] == "collector_id"  # not a user of the tenant
    _lone, lone_headers = await create_user(rc.api, rc.tenant, "supervisor")
    assert (await _get(rc, lone_headers))["collectors"] == []  # supervises no one yet
