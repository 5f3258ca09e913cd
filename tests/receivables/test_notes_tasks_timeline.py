"""Notes with hashtags, tasks (my tasks, overdue), the customer's timeline, the account statement."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.contracts.receivables import TaskChanged
from tests.receivables.helpers import customer, invoice, outbox, post, sync
from tests.support import create_api_key, create_user


async def test_notes_with_hashtags_and_filters(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    note = await post(
        rc.api,
        "/v1/notes",
        rc.collector,
        {
            "customer_id": c["id"],
            "body": "Hablé con Pedro: traspapeló la factura #Olvido #retiro-cheque",
            "invoice_ids": [inv["id"]],
        },
    )
    assert note["hashtags"] == ["olvido", "retiro-cheque"]
    assert note["author_user_id"] == str(rc.collector_id)
    await post(rc.api, "/v1/notes", rc.collector, {"customer_id": c["id"], "body": "Sin novedades"})
    tagged = (await rc.api.get("/v1/notes", params={"hashtag": "#olvido"}, headers=rc.admin)).json()["items"]
    assert [n["id"] for n in tagged] == [note["id"]]
    other = await customer(rc)
    bad = await rc.api.post(
        "/v1/notes", json={"customer_id": other["id"], "body": "x", "invoice_ids": [inv["id"]]}, headers=rc.collector
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "invoice_ids[0]"


async def test_a_note_answers_seed_004s_three_questions_and_its_reason_counts_as_an_excuse(rc):
    """Seed 004, "La excusa como nota": who was spoken to, why the customer has not paid, what was agreed."""
    c = await customer(rc)
    answers = {"spoken_with": "Marisol (tesorería)", "reason": "inability_to_pay", "agreed": "Paga mañana"}
    body = "El gerente estaba de vacaciones #vacaciones"
    note = await post(rc.api, "/v1/notes", rc.collector, {"customer_id": c["id"], "body": body, **answers})
    assert {k: note[k] for k in answers} == answers
    plain = await post(rc.api, "/v1/notes", rc.collector, {"customer_id": c["id"], "body": "Sin novedades"})
    assert (plain["spoken_with"], plain["reason"], plain["agreed"]) == (None, None, None)
    by_reason = (await rc.api.get("/v1/notes", params={"reason": "inability_to_pay"}, headers=rc.admin)).json()
    assert [n["id"] for n in by_reason["items"]] == [note["id"]]
    timeline = (await rc.api.get(f"/v1/customers/{c['id']}/timeline", headers=rc.admin)).json()["items"]
    (entry,) = [e for e in timeline if e.get("ref_id") == note["id"]]
    assert entry["data"]["spoken_with"] == "Marisol (tesorería)"
    excuses = (await rc.api.get("/v1/kpis/excuses", headers=rc.admin)).json()
    assert {"excuse": "inability_to_pay", "outcomes": 0, "notes": 1} in excuses["by_reason"]
    bad = await rc.api.post(
        "/v1/notes", json={"customer_id": c["id"], "body": "x", "reason": "porque si"}, headers=rc.collector
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "reason"


async def test_tasks_mine_overdue_and_status_changes(rc):
    c = await customer(rc)
    supervisor, _ = await create_user(rc.api, rc.tenant, "supervisor")
    await sync(rc.stack)
    late = await post(
        rc.api,
        "/v1/tasks",
        rc.collector,
        {
            "customer_id": c["id"],
            "title": "Buscar el cheque",
            "due_date": (rc.today - timedelta(days=2)).isoformat(),
            "supervisor_id": supervisor["id"],
        },
    )
    assert (late["assignee_id"], late["overdue"]) == (str(rc.collector_id), True)
    later = await post(
        rc.api,
        "/v1/tasks",
        rc.admin,
        {"title": "Verificar el pago", "assignee_id": str(rc.collector_id), "due_date": rc.today.isoformat()},
    )
    mine = (await rc.api.get("/v1/tasks/mine", headers=rc.collector)).json()["items"]
    assert [t["id"] for t in mine] == [late["id"], later["id"]]
    overdue = (await rc.api.get("/v1/tasks", params={"overdue": "true"}, headers=rc.admin)).json()["items"]
    assert [t["id"] for t in overdue] == [late["id"]]
    supervised = (await rc.api.get("/v1/tasks", params={"supervisor_id": supervisor["id"]}, headers=rc.admin)).json()
    assert [t["id"] for t in supervised["items"]] == [late["id"]]
    done = await rc.api.patch(f"/v1/tasks/{late['id']}", json={"status": "done"}, headers=rc.collector)
    assert (done.json()["status"], done.json()["overdue"], done.json()["completed_by"]) == (
        "done",
        False,
        f"user:{rc.collector_id}",
    )
    mine = (await rc.api.get("/v1/tasks/mine", headers=rc.collector)).json()["items"]
    assert [t["id"] for t in mine] == [later["id"]]
    assert [(e.title, e.status, e.revision) for e in await outbox(rc.stack, TaskChanged)] == [
        ("Buscar el cheque", "open", 1),
        ("Verificar el pago", "open", 1),
        ("Buscar el cheque", "done", 2),
    ]
    unknown = await rc.api.post("/v1/tasks", json={"title": "x", "assignee_id": c["id"]}, headers=rc.admin)
    assert unknown.status_code == 422
    api_key_mine = await rc.api.get("/v1/tasks/mine", headers=rc.erp)
    assert api_key_mine.status_code in (403, 422)


async def test_a_task_for_someone_else_has_a_supervisor_who_sees_it_in_supervised_by_me(rc):
    """Seed 004: a task "puede estar dirigida a otra persona ... en cuyo caso hay que definir el supervisor"."""
    supervisor, supervisor_headers = await create_user(rc.api, rc.tenant, "supervisor")
    await sync(rc.stack)
    given = await post(
        rc.api, "/v1/tasks", rc.admin, {"title": "Conciliar el pago", "assignee_id": str(rc.collector_id)}
    )
    assert given["supervisor_id"] == str(rc.tenant.admin_id)  # the person who gives it follows it up
    named = await post(
        rc.api,
        "/v1/tasks",
        rc.admin,
        {"title": "Verificar el pago", "assignee_id": str(rc.collector_id), "supervisor_id": supervisor["id"]},
    )
    own = await post(rc.api, "/v1/tasks", rc.collector, {"title": "Llamar de nuevo"})
    assert (own["assignee_id"], own["supervisor_id"]) == (str(rc.collector_id), None)
    admin_key = await create_api_key(rc.api, rc.tenant, roles=["admin"])  # no person behind it
    from_key = await rc.api.post(
        "/v1/tasks", json={"title": "Buscar el cheque", "assignee_id": str(rc.collector_id)}, headers=admin_key
    )
    assert from_key.status_code == 422, from_key.text
    assert from_key.json()["errors"][0]["field"] == "supervisor_id"

    supervised = (await rc.api.get("/v1/tasks/supervised", headers=supervisor_headers)).json()["items"]
    assert [t["id"] for t in supervised] == [named["id"]]
    mine_to_follow = (await rc.api.get("/v1/tasks/supervised", headers=rc.admin)).json()["items"]
    assert [t["id"] for t in mine_to_follow] == [given["id"]]
    await rc.api.patch(f"/v1/tasks/{named['id']}", json={"status": "done"}, headers=rc.collector)
    assert (await rc.api.get("/v1/tasks/supervised", headers=supervisor_headers)).json()["items"] == []
    done = await rc.api.get("/v1/tasks/supervised", params={"status": "done"}, headers=supervisor_headers)
    assert [t["id"] for t in done.json()["items"]] == [named["id"]]
    # handing one's own task to someone else: the one who hands it over supervises it
    handed = await rc.api.patch(f"/v1/tasks/{own['id']}", json={"assignee_id": supervisor["id"]}, headers=rc.collector)
    assert handed.json()["supervisor_id"] == str(rc.collector_id)
    assert (await rc.api.get("/v1/tasks/supervised", headers=admin_key)).status_code == 422


async def test_timeline_in_order_paginated_and_filtered(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    await post(rc.api, "/v1/notes", rc.collector, {"customer_id": c["id"], "body": "Primera nota"})
    await post(
        rc.api,
        "/v1/payments",
        rc.admin,
        {"customer_id": c["id"], "currency": "ARS", "amount": "1000.00", "payment_date": rc.today.isoformat()},
    )
    everything = (await rc.api.get(f"/v1/customers/{c['id']}/timeline", headers=rc.admin)).json()["items"]
    assert [e["kind"] for e in everything] == ["status_change", "payment", "note", "invoice"]
    assert everything[-1]["invoice_id"] == inv["id"]
    oldest = (await rc.api.get(f"/v1/customers/{c['id']}/timeline?order=oldest&limit=2", headers=rc.admin)).json()
    assert [e["kind"] for e in oldest["items"]] == ["invoice", "note"]
    rest = (
        await rc.api.get(
            f"/v1/customers/{c['id']}/timeline",
            params={"order": "oldest", "limit": 2, "cursor": oldest["next_cursor"]},
            headers=rc.admin,
        )
    ).json()
    assert [e["kind"] for e in rest["items"]] == ["payment", "status_change"]
    assert rest["next_cursor"] is None
    only = (
        await rc.api.get(
            f"/v1/customers/{c['id']}/timeline", params=[("kind", "note"), ("kind", "invoice")], headers=rc.admin
        )
    ).json()["items"]
    assert [e["kind"] for e in only] == ["note", "invoice"]


async def test_statement_json_and_printable_html(rc):
    await post(
        rc.api, "/v1/people", rc.admin, {"kind": "advisor", "name": "Lucía <Asesora>", "whatsapp": "+5491140000002"}
    )
    advisor = (await rc.api.get("/v1/people", headers=rc.admin)).json()["items"][0]
    c = await customer(rc, name="Ferretería <b>Los Andes</b>", language="es", country="AR", advisor_id=advisor["id"])
    t = rc.today
    await invoice(
        rc,
        c["id"],
        number="A-1",
        amount="1000.00",
        due_date=(t - timedelta(days=45)).isoformat(),
        issue_date="2025-01-01",
    )
    await invoice(rc, c["id"], number="A-2", amount="500.00", due_date=(t + timedelta(days=10)).isoformat())
    await invoice(
        rc,
        c["id"],
        number="U-1",
        amount="70.00",
        currency="USD",
        due_date=(t - timedelta(days=130)).isoformat(),
        issue_date="2025-01-01",
    )
    # the credit note stays a credit to list (issue 12: applied by itself unless the tenant switches that off)
    await rc.api.patch("/v1/receivables-settings", json={"auto_apply_credits": False}, headers=rc.admin)
    await invoice(rc, c["id"], number="NC-1", amount="100.00", kind="credit_note")
    await post(
        rc.api,
        "/v1/payments",
        rc.admin,
        {
            "customer_id": c["id"],
            "currency": "ARS",
            "amount": "1250.00",
            "payment_date": t.isoformat(),
        },
    )
    statement = (await rc.api.get(f"/v1/customers/{c['id']}/statement", headers=rc.admin)).json()
    assert [
        (line["number"], line["open_amount"], line["days_overdue"], line["bucket"]) for line in statement["invoices"]
    ] == [
        ("U-1", "70.00", 130, "120+"),
        ("A-2", "250.00", -10, "current"),
    ]
    assert [(x["kind"], x["amount"]) for x in statement["credits"]] == [("credit_note", "100.00")]
    assert statement["totals"] == [
        {
            "currency": "ARS",
            "open_amount": "250.00",
            "overdue_amount": "0.00",
            "credit": "100.00",
            "balance": "150.00",
            "amount_due": "0.00",
        },
        {
            "currency": "USD",
            "open_amount": "70.00",
            "overdue_amount": "70.00",
            "credit": "0.00",
            "balance": "70.00",
            "amount_due": "70.00",
        },
    ]
    assert statement["aging"][1]["buckets"]["120+"] == "70.00"
    assert statement["advisor"]["name"] == "Lucía <Asesora>"
    html = await rc.api.get(f"/v1/customers/{c['id']}/statement.html", headers=rc.admin)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    page = html.text
    assert "Estado de cuenta" in page
    assert "Ferretería &lt;b&gt;Los Andes&lt;/b&gt;" in page  # autoescaped
    assert "Lucía &lt;Asesora&gt;" in page
    assert "https://wa.me/5491140000002" in page
    assert "US$" in page  # money in the customer's locale (es_AR)
    english = await rc.api.get(f"/v1/customers/{c['id']}/statement.html?language=en", headers=rc.admin)
    assert "Account statement" in english.text


async def test_a_late_evening_contact_counts_on_the_tenants_day_not_on_utcs(rc):
    """The KPIs' period is on the tenant's calendar: a note at 22:30 in Buenos Aires (01:30 UTC the next day) is
    the day's, and not the next day's."""
    c = await customer(rc)
    yesterday = date.today() - timedelta(days=2)
    evening = datetime.combine(yesterday, time(22, 30), ZoneInfo("America/Argentina/Buenos_Aires"))
    body = {"customer_id": c["id"], "body": "Llamé tarde", "reason": "forgetting", "occurred_at": evening.isoformat()}
    await post(rc.api, "/v1/notes", rc.collector, body)

    def counted(day: date) -> list[dict]:
        return [r for r in excuses[day]["by_reason"] if r["excuse"] == "forgetting"]

    excuses = {}
    for day in (yesterday, yesterday + timedelta(days=1)):
        params = {"from": day.isoformat(), "to": day.isoformat(), "as_of": day.isoformat()}
        excuses[day] = (await rc.api.get("/v1/kpis/excuses", params=params, headers=rc.admin)).json()
    assert counted(yesterday) == [{"excuse": "forgetting", "outcomes": 0, "notes": 1}]
    assert counted(yesterday + timedelta(days=1)) == []
