"""The collector's worklist (issue 18) through the API on real PostgreSQL: ranked by an explainable score, each
reason when its fact is there, a contact recorded today takes the customer off, weights change the order, whose
list a caller may read."""

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx

from services.receivables.settings import ServiceSettings
from shared.contracts.common import Channel
from shared.contracts.messaging import ReplyReceived
from shared.identity import SERVICE, identity_headers
from tests.receivables.helpers import customer, execute, invoice, post
from tests.receivables.test_consumers import deliver
from tests.support import TENANT_TIMEZONE, create_user


def at(day, hour=12):
    """Noon of ``day`` on the tenant's calendar, as an aware instant (a back-dated record's ``occurred_at``)."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(TENANT_TIMEZONE)).isoformat()


async def worklist(rc, headers=None, expect=200, **params):
    response = await rc.api.get("/v1/worklist", params=params, headers=headers or rc.collector)
    assert response.status_code == expect, response.text
    return response.json()


def by_customer(page):
    return {item["customer"]["id"]: item for item in page["items"]}


def codes(item):
    return {reason["code"] for reason in item["reasons"]}


def reason(item, code):
    (found,) = [r for r in item["reasons"] if r["code"] == code]
    return found


async def owing(rc, amount="1000.00", days=10, **fields):
    """A customer of our collector with one invoice ``days`` overdue."""
    c = await customer(rc, collector_id=str(rc.collector_id), **fields)
    due = rc.today - timedelta(days=days)
    inv = await invoice(
        rc, c["id"], amount=amount, issue_date=(due - timedelta(days=30)).isoformat(), due_date=due.isoformat()
    )
    return c, inv


async def break_promise(rc, c, days_ago=4):
    """A promise made by phone the day before its date, broken the day after it: ``days_ago`` days ago."""
    promised = rc.today - timedelta(days=days_ago + 1)
    body = {
        "customer_id": c["id"],
        "kind": "promise_to_pay",
        "promised_date": promised.isoformat(),
        "occurred_at": at(promised - timedelta(days=1)),
        "excuse": "forgetting",
    }
    await post(rc.api, "/v1/outcomes", rc.collector, body)
    detected = await post(
        rc.api, "/v1/promises/detect-broken", rc.admin, {"as_of": (promised + timedelta(days=1)).isoformat()}, 200
    )
    assert detected["broken"] == 1
    return promised


async def test_a_broken_promise_outranks_a_fresh_small_debt_with_its_reasons_and_a_contact_takes_it_off(rc):
    promised_by, _ = await owing(rc, amount="45000.00", days=20, name="Ferretería Los Andes")
    promised = await break_promise(rc, promised_by)
    fresh, _ = await owing(rc, amount="100.00", days=1, name="Kiosco Nuevo")
    not_ours, _ = await owing(rc, amount="999999.00", days=200)
    await execute(rc.stack, "UPDATE receivables.customers SET collector_id = NULL WHERE id = :id", id=not_ours["id"])

    page = await worklist(rc)
    assert [i["customer"]["id"] for i in page["items"]] == [promised_by["id"], fresh["id"]]
    first = page["items"][0]
    assert first["customer"] == {
        "id": promised_by["id"],
        "external_id": promised_by["external_id"],
        "name": "Ferretería Los Andes",
        "collector_id": str(rc.collector_id),
    }
    broken = reason(first, "broken_promise")
    assert broken["text"] == (
        f"promise of {promised.strftime('%d/%m/%Y')} broken 4 days ago (ARS 45.000,00), still owed"
    )
    assert (broken["weight"], broken["points"]) == (60, "60.00")
    assert broken["evidence"]["amount"] == "45000.00"
    assert first["reasons"][0]["code"] == "broken_promise"  # most points first
    assert codes(first) == {"broken_promise", "overdue", "days_since_contact"}
    assert "last contacted 6 days ago" in reason(first, "days_since_contact")["text"]
    for item in page["items"]:
        assert Decimal(item["score"]) == sum(Decimal(r["points"]) for r in item["reasons"])
    assert first["objective"]["code"] == "generate_action"  # an excuse was given, a promise broken
    fresh_item = page["items"][1]
    assert reason(fresh_item, "overdue")["text"].startswith("ARS 100,00 overdue in 1 invoice(s), the oldest 1 days")
    assert reason(fresh_item, "days_since_contact")["text"] == "never contacted (counted as 90 days)"
    assert fresh_item["objective"]["code"] == "remind"

    # the collector calls the fresh debtor today: off today's list; a back-dated call of yesterday would not be
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {"customer_id": fresh["id"], "kind": "no_commitment", "note": "Llamar la semana próxima"},
    )
    assert [i["customer"]["id"] for i in (await worklist(rc))["items"]] == [promised_by["id"]]


async def test_a_contact_of_yesterday_keeps_the_customer_on_the_list_and_follows_up_its_broken_promise(rc):
    c, _ = await owing(rc)
    await break_promise(rc, c, days_ago=4)
    assert "broken_promise" in codes((await worklist(rc))["items"][0])
    yesterday = rc.today - timedelta(days=1)
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {"customer_id": c["id"], "kind": "no_commitment", "note": "Sin respuesta", "occurred_at": at(yesterday)},
    )
    (item,) = (await worklist(rc))["items"]
    assert reason(item, "days_since_contact")["text"] == f"last contacted yesterday ({yesterday.strftime('%d/%m/%Y')})"
    assert codes(item) == {"overdue", "days_since_contact"}  # the broken promise was followed up yesterday
    assert item["objective"]["code"] == "generate_action"  # an excuse was given (with the promise)


async def as_portal(rc, path, body):
    """A call of the portal's own (``service:portal``), signed as the gateway would, to receivables."""
    headers = identity_headers(ServiceSettings().internal_secret, rc.tenant_id, "service:portal", [SERVICE])
    transport = httpx.ASGITransport(rc.stack.services["receivables"])
    async with httpx.AsyncClient(transport=transport, base_url="http://receivables.test") as client:
        response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_each_reason_appears_when_its_fact_is_there(rc):
    clean, _ = await owing(rc, amount="500.00", days=3)

    due_tomorrow = await customer(rc, collector_id=str(rc.collector_id))
    await invoice(rc, due_tomorrow["id"], amount="300.00", due_date=(rc.today - timedelta(days=2)).isoformat())
    body = {
        "customer_id": due_tomorrow["id"],
        "kind": "promise_to_pay",
        "promised_date": (rc.today + timedelta(days=1)).isoformat(),
        "occurred_at": at(rc.today - timedelta(days=1)),
    }
    await post(rc.api, "/v1/outcomes", rc.collector, body)

    with_task = await customer(rc, collector_id=str(rc.collector_id))
    await post(
        rc.api,
        "/v1/tasks",
        rc.collector,
        {"customer_id": with_task["id"], "title": "Enviar copia de la factura", "due_date": rc.today.isoformat()},
    )

    replied = await customer(rc, collector_id=str(rc.collector_id))
    reply = ReplyReceived(
        reply_id=uuid.uuid4(),
        customer_id=uuid.UUID(replied["id"]),
        channel=Channel.WHATSAPP,
        from_address="+5491155551234",
        body="No me llegó la factura",
        in_reply_to=uuid.uuid4(),
        received_at=datetime.fromisoformat(at(rc.today, 9)),
    )
    await deliver(rc, reply)

    on_portal = await customer(rc, collector_id=str(rc.collector_id))
    await as_portal(
        rc,
        "/v1/tasks",
        {
            "customer_id": on_portal["id"],
            "title": "Llamar al cliente (pedido en su página)",
            "assignee_id": str(rc.collector_id),
            "supervisor_id": str(rc.collector_id),
            "due_date": (rc.today + timedelta(days=2)).isoformat(),
        },
    )

    reported_online, _ = await owing(rc, amount="800.00", days=6)
    outcome = {"customer_id": reported_online["id"], "kind": "payment_reported", "channel": "portal"}
    await as_portal(rc, "/v1/outcomes", outcome)

    troubled, _ = await owing(
        rc,
        amount="500.00",
        days=3,
        contacts=[{"channel": "email", "address": "pagos@troubled.example"}],
    )
    await execute(
        rc.stack,
        "UPDATE receivables.customers SET contacts = jsonb_set(contacts, '{0,invalid}', 'true') WHERE id = :id",
        id=troubled["id"],
    )
    for sign in ("days_late_trend", "small_before_large"):
        await execute(
            rc.stack,
            "INSERT INTO receivables.warning_signs (tenant_id, customer_id, sign, evidence, first_seen_on, "
            "refreshed_on) VALUES (:t, :c, :s, '{}', :d, :d)",
            t=rc.tenant_id,
            c=troubled["id"],
            s=sign,
            d=rc.today,
        )
    signs_only = await customer(rc, collector_id=str(rc.collector_id))  # signs alone ask for no contact today
    await execute(
        rc.stack,
        "INSERT INTO receivables.warning_signs (tenant_id, customer_id, sign, evidence, first_seen_on, refreshed_on) "
        "VALUES (:t, :c, 'growing_overdue', '{}', :d, :d)",
        t=rc.tenant_id,
        c=signs_only["id"],
        d=rc.today,
    )

    items = by_customer(await worklist(rc))
    assert signs_only["id"] not in items
    assert codes(items[clean["id"]]) == {"overdue", "days_since_contact"}
    promise = items[due_tomorrow["id"]]
    assert codes(promise) == {"promise_due", "days_since_contact"}  # its invoice is promised: not "overdue"
    assert reason(promise, "promise_due")["text"] == (
        f"promise of ARS 300,00 due tomorrow ({(rc.today + timedelta(days=1)).strftime('%d/%m/%Y')})"
    )
    assert promise["objective"]["code"] == "remind"
    task = items[with_task["id"]]
    assert codes(task) == {"task_due", "days_since_contact"}
    assert reason(task, "task_due")["text"].startswith("1 open task(s) due, the oldest “Enviar copia de la factura”")
    waiting = items[replied["id"]]
    assert {"reply_waiting", "task_due"} <= codes(waiting)  # the reply also gave the collector a task
    assert reason(waiting, "reply_waiting")["text"] == (
        "1 reply(ies) and no contact yet, the last by whatsapp: “No me llegó la factura”"
    )
    portal = items[on_portal["id"]]
    assert codes(portal) == {"portal_action", "days_since_contact"}
    assert "Llamar al cliente (pedido en su página)" in reason(portal, "portal_action")["text"]
    online = items[reported_online["id"]]
    assert codes(online) == {"portal_action", "days_since_contact"}  # reported: no longer "overdue"
    assert reason(online, "portal_action")["text"] == (
        "1 action(s) on the customer's page and no contact yet, the last: outcome payment_reported"
    )
    hard = items[troubled["id"]]
    assert codes(hard) == {"overdue", "bounced_contact", "warning_signs", "days_since_contact"}
    assert reason(hard, "bounced_contact")["text"] == "contact(s) found invalid: email pagos@troubled.example"
    signs = reason(hard, "warning_signs")
    assert (signs["points"], signs["text"]) == ("20.00", "2 warning sign(s): days late trend, small before large")
    assert hard["channel"] == {
        "code": None,
        "address": None,
        "why": "no valid contact on any channel: find one (seed 004: a third party, the advisor)",
    }
    # the same debt without the bounced contact and the signs: 30 points less
    assert Decimal(hard["score"]) - Decimal(items[clean["id"]]["score"]) == Decimal("30.00")

    # a personal contact after the reply and the portal's task: they no longer wait
    for c in (replied, on_portal):
        await post(
            rc.api,
            "/v1/outcomes",
            rc.collector,
            {"customer_id": c["id"], "kind": "no_commitment", "note": "Hablado", "occurred_at": at(rc.today, 0)},
        )
    items = by_customer(await worklist(rc))
    assert replied["id"] not in items and on_portal["id"] not in items  # contacted today, too


async def test_the_channel_follows_the_objective_and_the_valid_contacts(rc):
    phone = [{"channel": "sms", "address": "+5491144445555"}, {"channel": "email", "address": "a@b.example"}]
    reminded, _ = await owing(rc, days=2, contacts=phone)
    unable, _ = await owing(rc, days=2, contacts=phone)
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {
            "customer_id": unable["id"],
            "kind": "no_commitment",
            "note": "Ventas cayeron",
            "excuse": "inability_to_pay",
            "occurred_at": at(rc.today - timedelta(days=1)),
        },
    )
    items = by_customer(await worklist(rc))
    assert items[reminded["id"]]["objective"]["code"] == "remind"
    assert items[reminded["id"]]["channel"]["code"] == "sms"  # no WhatsApp: the next reminder channel
    assert items[unable["id"]]["objective"]["code"] == "change_conditions"
    assert items[unable["id"]]["channel"] == {
        "code": "call",
        "address": "+5491144445555",
        "why": "call suits 'change conditions' and has a valid contact",
    }


async def test_weights_change_the_order_and_are_validated(rc):
    tasked = await customer(rc, collector_id=str(rc.collector_id))
    await post(
        rc.api,
        "/v1/tasks",
        rc.collector,
        {"customer_id": tasked["id"], "title": "Llamar", "due_date": rc.today.isoformat()},
    )
    owes, _ = await owing(rc, days=5)

    def order(page):
        return [i["customer"]["id"] for i in page["items"]]

    # task 30 + 30 (never contacted) = 60; overdue 40 (alone in its currency) + 30 = 70
    assert order(await worklist(rc)) == [owes["id"], tasked["id"]]
    settings = await rc.api.patch(
        "/v1/receivables-settings", json={"worklist_weights": {"task_due": 100}}, headers=rc.admin
    )
    assert settings.status_code == 200, settings.text
    assert settings.json()["worklist_weights"]["task_due"] == 100
    assert settings.json()["worklist_weights"]["overdue"] == 40
    page = await worklist(rc)
    assert order(page) == [tasked["id"], owes["id"]]
    assert reason(page["items"][0], "task_due")["points"] == "100.00"

    bad = await rc.api.patch("/v1/receivables-settings", json={"worklist_weights": {"overdue": -1}}, headers=rc.admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "worklist_weights.overdue"
    unknown = await rc.api.patch("/v1/receivables-settings", json={"worklist_weights": {"size": 3}}, headers=rc.admin)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "worklist_weights.size"
    back = await rc.api.patch(
        "/v1/receivables-settings", json={"worklist_weights": {"task_due": None}}, headers=rc.admin
    )
    assert back.json()["worklist_weights"]["task_due"] == 30
    assert order(await worklist(rc)) == [owes["id"], tasked["id"]]


async def test_pages_follow_the_score(rc):
    for days in (1, 5, 9):
        await owing(rc, days=days)
    first = await worklist(rc, limit=2)
    second = await worklist(rc, limit=2, cursor=first["next_cursor"])
    assert second["next_cursor"] is None
    scores = [Decimal(i["score"]) for i in first["items"] + second["items"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)


async def test_whose_list_a_caller_may_read(rc):
    other, other_headers = await create_user(rc.api, rc.tenant, "collector")
    supervisor, supervisor_headers = await create_user(rc.api, rc.tenant, "supervisor")
    _manager, manager_headers = await create_user(rc.api, rc.tenant, "manager")
    mine, _ = await owing(rc)
    theirs = await customer(rc, collector_id=other["id"])
    await invoice(rc, theirs["id"], due_date=(rc.today - timedelta(days=3)).isoformat())
    nobody = await customer(rc)
    await invoice(rc, nobody["id"], due_date=(rc.today - timedelta(days=3)).isoformat())

    def ids(page):
        return {i["customer"]["id"] for i in page["items"]}

    assert ids(await worklist(rc)) == {mine["id"]}  # a collector sees only its customers
    assert ids(await worklist(rc, headers=other_headers)) == {theirs["id"]}
    refused = await worklist(rc, expect=403, collector_id=other["id"])
    assert "supervisor" in refused["detail"]
    await worklist(rc, expect=403, team="all")
    await worklist(rc, expect=403, team="mine")
    assert ids(await worklist(rc, collector_id=str(rc.collector_id))) == {mine["id"]}  # one's own id: fine

    # a supervisor's team: the collectors whose staff profile names the supervisor's person profile
    boss = await post(
        rc.api, "/v1/people", rc.admin, {"kind": "supervisor", "name": "Sara", "user_id": supervisor["id"]}
    )
    await post(
        rc.api,
        "/v1/people",
        rc.admin,
        {"kind": "staff", "name": "Otro", "user_id": other["id"], "supervisor_id": boss["id"]},
    )
    assert ids(await worklist(rc, headers=supervisor_headers, team="mine")) == {theirs["id"]}
    assert ids(await worklist(rc, headers=supervisor_headers, collector_id=str(rc.collector_id))) == {mine["id"]}
    assert (await worklist(rc, headers=supervisor_headers))["items"] == []  # its own list: no customers
    assert ids(await worklist(rc, headers=supervisor_headers, team="all")) == {mine["id"], theirs["id"], nobody["id"]}
    everyone = await worklist(rc, headers=manager_headers, team="all")
    assert ids(everyone) == {mine["id"], theirs["id"], nobody["id"]}
    both = await worklist(rc, expect=422, headers=manager_headers, team="all", collector_id=other["id"])
    assert both["errors"][0]["field"] == "team"
    stranger = await worklist(rc, expect=422, headers=manager_headers, collector_id=str(uuid.uuid4()))
    assert stranger["errors"][0]["field"] == "collector_id"  # not a user of the tenant: not an empty list
    await worklist(rc, headers=rc.erp, expect=403)  # an integration has no desk


async def test_amounts_are_never_added_across_currencies(rc):
    """A's ARS debt is the smaller of the collector's two ARS debts (share 0.5), but its USD debt is the only USD
    one (share 1): its overdue part is its USD part, and says so."""
    a, _ = await owing(rc, amount="1000.00", days=10)
    due = (rc.today - timedelta(days=5)).isoformat()
    await invoice(rc, a["id"], amount="10.00", currency="USD", issue_date="2026-01-01", due_date=due)
    b, _ = await owing(rc, amount="5000.00", days=10)
    items = by_customer(await worklist(rc))
    overdue = reason(items[a["id"]], "overdue")
    assert (overdue["points"], overdue["evidence"]["currency"], overdue["evidence"]["amount"]) == (
        "40.00",
        "USD",
        "10.00",
    )
    assert overdue["text"].startswith("USD 10,00 overdue in 1 invoice(s), the oldest 5 days")
    assert reason(items[b["id"]], "overdue")["evidence"]["share"] == "1.0000"
