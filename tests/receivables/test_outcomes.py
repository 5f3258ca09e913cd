"""The five outcomes of a personal contact (seed 000), each with exactly its side effects, in one call."""

from datetime import timedelta

from services.receivables.tenant_settings.calendar import follow_up_date, next_business_day
from shared.contracts.messaging import SendCommunications
from shared.contracts.receivables import InvoiceChanged, OutcomeRecorded, TaskChanged
from tests.receivables.helpers import customer, invoice, outbox, post, rows


async def _setup(rc):
    advisor_boss = await post(
        rc.api, "/v1/people", rc.admin, {"kind": "supervisor", "name": "Sara Supervisora", "phone": "+5491140000001"}
    )
    advisor = await post(
        rc.api,
        "/v1/people",
        rc.admin,
        {
            "kind": "advisor",
            "name": "Lucía Asesora",
            "phone": "+5491140000002",
            "whatsapp": "+5491140000002",
            "supervisor_id": advisor_boss["id"],
        },
    )
    c = await customer(
        rc,
        collector_id=str(rc.collector_id),
        advisor_id=advisor["id"],
        language="es",
        contacts=[{"channel": "email", "address": "pagos@cliente.example"}],
    )
    first = await invoice(rc, c["id"], due_date=(rc.today - timedelta(days=20)).isoformat(), issue_date="2025-01-01")
    second = await invoice(rc, c["id"], due_date=(rc.today + timedelta(days=5)).isoformat(), currency="USD")
    return c, first, second


async def _effects(rc, c):
    """What an outcome may have done: statuses, tasks, notes, messages asked for, events."""
    invoices = {
        str(r["id"]): (r["status"], r["promised_date"], r["reported_date"], r["dispute_area_id"])
        for r in await rows(rc.stack, "SELECT * FROM receivables.invoices WHERE customer_id = :c", c=c["id"])
    }
    tasks = await rows(rc.stack, "SELECT * FROM receivables.tasks WHERE customer_id = :c", c=c["id"])
    notes = await rows(rc.stack, "SELECT * FROM receivables.notes WHERE customer_id = :c", c=c["id"])
    return invoices, tasks, notes, await outbox(rc.stack, SendCommunications)


async def _record(rc, body, headers=None, expect=201):
    return await post(rc.api, "/v1/outcomes", headers or rc.collector, body, expect=expect)


async def test_promise_to_pay(rc):
    c, first, second = await _setup(rc)
    promised = rc.today + timedelta(days=7)
    outcome = await _record(
        rc,
        {
            "customer_id": c["id"],
            "kind": "promise_to_pay",
            "spoke_with": "Marisol",
            "excuse": "forgetting",
            "note": "Se olvidó; paga el viernes #olvido #promesa",
            "promised_date": promised.isoformat(),
        },
    )
    invoices, tasks, notes, messages = await _effects(rc, c)
    assert invoices == {
        first["id"]: ("promise_to_pay", promised, None, None),
        second["id"]: ("promise_to_pay", promised, None, None),
    }
    assert tasks == []
    assert [(n["body"], n["hashtags"], str(n["outcome_id"])) for n in notes] == [
        ("Se olvidó; paga el viernes #olvido #promesa", ["olvido", "promesa"], outcome["id"])
    ]
    assert messages == []
    assert outcome["hashtags"] == ["olvido", "promesa"]
    assert outcome["collector_id"] == str(rc.collector_id)
    promises = await rows(rc.stack, "SELECT status, promised_date, amount FROM receivables.promises")
    assert sorted((p["status"], p["promised_date"], str(p["amount"])) for p in promises) == [
        ("open", promised, "1000.00"),
        ("open", promised, "1000.00"),
    ]
    (event,) = await outbox(rc.stack, OutcomeRecorded)
    assert (event.kind, event.excuse, event.spoke_with, event.promised_date) == (
        "promise_to_pay",
        "forgetting",
        "Marisol",
        promised,
    )
    assert {str(e.invoice_id) for e in await outbox(rc.stack, InvoiceChanged) if e.status == "promise_to_pay"} == {
        first["id"],
        second["id"],
    }


async def test_a_promise_in_the_past_is_rejected(rc):
    c, _first, _ = await _setup(rc)
    response = await rc.api.post(
        "/v1/outcomes",
        json={
            "customer_id": c["id"],
            "kind": "promise_to_pay",
            "promised_date": (rc.today - timedelta(days=1)).isoformat(),
        },
        headers=rc.collector,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "promised_date"
    invoices, tasks, notes, _ = await _effects(rc, c)
    assert {s for s, *_ in invoices.values()} == {"normal"}
    assert (tasks, notes) == ([], [])


async def test_no_commitment_writes_a_note_and_a_follow_up_task(rc):
    c, first, _ = await _setup(rc)
    outcome = await _record(
        rc,
        {
            "customer_id": c["id"],
            "kind": "no_commitment",
            "spoke_with": "Pedro",
            "excuse": "inability_to_pay",
            "note": "Consulta con administración cuándo está programado el pago #sin-fondos",
            "invoice_ids": [first["id"]],
            "follow_up_days": 4,
        },
    )
    invoices, tasks, notes, messages = await _effects(rc, c)
    assert {s for s, *_ in invoices.values()} == {"normal"}
    (task,) = tasks
    assert task["due_date"] == follow_up_date(rc.today, 4, "AR")
    assert (task["assignee_id"], task["status"], task["source"]) == (rc.collector_id, "open", "outcome")
    assert task["title"] == "Dar seguimiento al cliente"
    assert [n["hashtags"] for n in notes] == [["sin-fondos"]]
    assert messages == []
    assert outcome["task"]["id"] == str(task["id"])
    assert [e.title for e in await outbox(rc.stack, TaskChanged)] == ["Dar seguimiento al cliente"]


async def test_no_commitment_needs_a_note(rc):
    c, *_ = await _setup(rc)
    response = await rc.api.post(
        "/v1/outcomes", json={"customer_id": c["id"], "kind": "no_commitment"}, headers=rc.collector
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "note"


async def test_customer_says_it_paid(rc):
    c, first, second = await _setup(rc)
    said = rc.today - timedelta(days=1)
    outcome = await _record(
        rc,
        {
            "customer_id": c["id"],
            "kind": "payment_reported",
            "spoke_with": "Maribel",
            "note": "Ya canceló con el depósito número 23763172736",
            "invoice_ids": [first["id"]],
            "reported_date": said.isoformat(),
            "reported_reference": "Depósito 23763172736",
        },
    )
    invoices, tasks, notes, messages = await _effects(rc, c)
    assert invoices[first["id"]] == ("payment_reported", None, said, None)
    assert invoices[second["id"]][0] == "normal"
    assert (tasks, messages) == ([], [])
    assert notes[0]["hashtags"] == []  # a deposit number is a reference, not a hashtag
    assert outcome["reported_reference"] == "Depósito 23763172736"
    future = await rc.api.post(
        "/v1/outcomes",
        json={"customer_id": c["id"], "kind": "payment_reported", "reported_date": "2999-01-01"},
        headers=rc.collector,
    )
    assert future.status_code == 422


async def test_dispute_goes_to_the_area_and_names_its_responsible(rc):
    c, first, second = await _setup(rc)
    boss = await post(rc.api, "/v1/people", rc.admin, {"kind": "staff", "name": "Jefa Logística", "email": "log@x.ex"})
    area = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Logística", "responsible_id": boss["id"]})
    outcome = await _record(
        rc,
        {
            "customer_id": c["id"],
            "kind": "dispute",
            "excuse": "dissatisfaction",
            "note": "Recibió 8 cajas y le facturaron 10 #faltante",
            "invoice_ids": [second["id"]],
            "dispute_area_id": area["id"],
        },
    )
    invoices, tasks, _notes, messages = await _effects(rc, c)
    assert invoices[second["id"]][0] == "dispute"
    assert str(invoices[second["id"]][3]) == area["id"]
    assert invoices[first["id"]][0] == "normal"
    assert (tasks, messages) == ([], [])
    assert outcome["dispute_area"]["responsible"]["email"] == "log@x.ex"
    missing = await rc.api.post("/v1/outcomes", json={"customer_id": c["id"], "kind": "dispute"}, headers=rc.collector)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "dispute_area_id"


async def test_could_not_reach_asks_for_an_email_and_a_call_the_next_business_day(rc):
    c, first, second = await _setup(rc)
    outcome = await _record(rc, {"customer_id": c["id"], "kind": "unreachable", "channel": "phone"})
    invoices, tasks, notes, messages = await _effects(rc, c)
    assert {s for s, *_ in invoices.values()} == {"normal"}
    assert notes == []
    (task,) = tasks
    assert task["due_date"] == next_business_day(rc.today, "AR")
    assert task["title"] == "Volver a llamar al cliente"
    assert outcome["message_requested"] is True
    (command,) = messages
    (mail,) = command.communications
    assert (mail.kind, mail.channel, mail.to, mail.language) == ("unreachable", "email", "pagos@cliente.example", "es")
    assert mail.idempotency_key == f"receivables:outcome:{outcome['id']}"
    assert [(str(i.invoice_id), i.days_overdue) for i in mail.invoices] == [(first["id"], 20), (second["id"], -5)]
    # totals: what is overdue and demanded; open_totals: all that is open and demanded (issue 12)
    assert [(t.currency, str(t.amount)) for t in mail.totals] == [("ARS", "1000.00")]
    assert [(t.currency, str(t.amount)) for t in mail.open_totals] == [("ARS", "1000.00"), ("USD", "1000.00")]
    assert (mail.overdue_count, mail.credits) == (1, [])
    assert mail.oldest_days_overdue == 20
    assert (mail.advisor.name, mail.advisor.whatsapp) == ("Lucía Asesora", "+5491140000002")
    assert (mail.supervisor.name, mail.supervisor.phone) == ("Sara Supervisora", "+5491140000001")
    assert mail.collector.id == rc.collector_id
    assert (mail.source, mail.source_ref) == ("receivables", outcome["id"])


async def test_could_not_reach_without_an_email_still_schedules_the_call(rc):
    c = await customer(rc, contacts=[{"channel": "sms", "address": "+5491155551234"}])
    await invoice(rc, c["id"])
    outcome = await _record(rc, {"customer_id": c["id"], "kind": "unreachable"})
    assert outcome["message_requested"] is False
    assert outcome["message_skipped"] == "the customer has no email address"
    assert outcome["task"]["title"] == "Volver a llamar al cliente"
    assert await outbox(rc.stack, SendCommunications) == []


async def test_outcome_on_a_closed_invoice_is_a_conflict(rc):
    c, first, _ = await _setup(rc)
    await post(rc.api, f"/v1/invoices/{first['id']}/status", rc.admin, {"status": "void"}, expect=200)
    response = await rc.api.post(
        "/v1/outcomes",
        json={
            "customer_id": c["id"],
            "kind": "promise_to_pay",
            "invoice_ids": [first["id"]],
            "promised_date": rc.today.isoformat(),
        },
        headers=rc.collector,
    )
    assert response.status_code == 409
    assert (await rows(rc.stack, "SELECT * FROM receivables.outcomes")) == []


async def test_outcomes_are_listed_and_on_the_timeline(rc):
    c, _first, _ = await _setup(rc)
    await _record(rc, {"customer_id": c["id"], "kind": "unreachable"})
    listed = (await rc.api.get("/v1/outcomes", params={"customer_id": c["id"]}, headers=rc.admin)).json()["items"]
    assert [o["kind"] for o in listed] == ["unreachable"]
    timeline = (await rc.api.get(f"/v1/customers/{c['id']}/timeline", headers=rc.admin)).json()["items"]
    kinds = [t["kind"] for t in timeline]
    assert kinds[:2] == ["outcome", "task"] or kinds[:2] == ["task", "outcome"]
    assert kinds.count("invoice") == 2


async def test_an_outcome_posted_twice_with_one_idempotency_key_is_recorded_once(rc):
    c, *_ = await _setup(rc)
    body = {"customer_id": c["id"], "kind": "unreachable"}
    headers = {**rc.collector, "Idempotency-Key": "llamada-1"}
    first = await rc.api.post("/v1/outcomes", json=body, headers=headers)
    second = await rc.api.post("/v1/outcomes", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers.get("idempotent-replayed") == "true"
    assert first.json()["id"] == second.json()["id"]
    assert len(await rows(rc.stack, "SELECT id FROM receivables.outcomes")) == 1
    assert len(await rows(rc.stack, "SELECT id FROM receivables.tasks")) == 1
    assert len(await outbox(rc.stack, SendCommunications)) == 1


async def _dispute(rc, inv):
    area = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": f"Área {inv['number']}"})
    body = {"status": "dispute", "dispute_area_id": area["id"]}
    await post(rc.api, f"/v1/invoices/{inv['id']}/status", rc.admin, body, expect=200)


async def test_a_promise_without_invoices_never_silently_turns_a_dispute_into_a_promise(rc):
    """Issue 12 point 4: an outcome without invoice_ids acts only on invoices whose status allows it."""
    c, first, second = await _setup(rc)
    await _dispute(rc, second)
    promised = rc.today + timedelta(days=3)
    outcome = await _record(rc, {"customer_id": c["id"], "kind": "promise_to_pay", "promised_date": str(promised)})
    invoices, *_ = await _effects(rc, c)
    assert invoices[first["id"]][0] == "promise_to_pay"
    assert invoices[second["id"]][0] == "dispute"
    assert outcome["invoice_ids"] == [first["id"]]
    # every open invoice disputed: nothing the promise may cover
    await _dispute(rc, first)
    refused = await rc.api.post(
        "/v1/outcomes",
        json={"customer_id": c["id"], "kind": "promise_to_pay", "promised_date": str(promised)},
        headers=rc.collector,
    )
    assert refused.status_code == 409 and "promise_to_pay" in refused.json()["detail"]


async def test_a_conflicting_named_invoice_answers_409_naming_it(rc):
    c, first, _second = await _setup(rc)
    paid = await invoice(rc, c["id"], amount="10.00", open_amount="0.00", number="FC-PAGADA")
    body = {
        "customer_id": c["id"],
        "kind": "promise_to_pay",
        "promised_date": str(rc.today + timedelta(days=3)),
        "invoice_ids": [first["id"], paid["id"]],
    }
    refused = await rc.api.post("/v1/outcomes", json=body, headers=rc.collector)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert (problem["field"], problem["invoice_id"], problem["number"]) == ("invoice_ids[1]", paid["id"], "FC-PAGADA")
    assert "FC-PAGADA" in problem["detail"]
    invoices, *_ = await _effects(rc, c)
    assert invoices[first["id"]][0] == "normal"  # nothing done
    # a disputed invoice named in a promise: refused, the dispute is resolved first
    await _dispute(rc, first)
    body["invoice_ids"] = [first["id"]]
    refused = await rc.api.post("/v1/outcomes", json=body, headers=rc.collector)
    assert refused.status_code == 409
    assert (refused.json()["field"], refused.json()["current_status"]) == ("invoice_ids[0]", "dispute")
    unreachable = {"customer_id": c["id"], "kind": "unreachable", "invoice_ids": [paid["id"]]}
    refused = await rc.api.post("/v1/outcomes", json=unreachable, headers=rc.collector)
    assert (refused.status_code, refused.json()["field"]) == (409, "invoice_ids[0]")


async def test_the_unreachable_email_claims_only_the_demanded_invoices_net_of_credit(rc):
    """Issue 12 point 4: the email lists what is really claimed, not paused or disputed invoices."""
    await rc.api.patch("/v1/receivables-settings", json={"auto_apply_credits": False}, headers=rc.admin)
    c, first, second = await _setup(rc)
    disputed = await invoice(rc, c["id"], due_date=str(rc.today - timedelta(days=40)), number="FC-DISPUTA")
    await _dispute(rc, disputed)
    promised = await invoice(rc, c["id"], due_date=str(rc.today - timedelta(days=30)), number="FC-PROMESA")
    body = {"status": "promise_to_pay", "promised_date": str(rc.today + timedelta(days=2))}
    await post(rc.api, f"/v1/invoices/{promised['id']}/status", rc.admin, body, expect=200)
    await invoice(rc, c["id"], kind="credit_note", amount="300.00", issue_date="2026-03-01", due_date="2026-03-01")
    outcome = await _record(rc, {"customer_id": c["id"], "kind": "unreachable"})
    assert sorted(outcome["invoice_ids"]) == sorted([first["id"], second["id"], disputed["id"], promised["id"]])
    (command,) = (await _effects(rc, c))[3]
    (mail,) = command.communications
    assert [str(i.invoice_id) for i in mail.invoices] == [first["id"], second["id"]]
    assert all(i.demanded for i in mail.invoices)
    assert [(t.currency, str(t.amount)) for t in mail.totals] == [("ARS", "700.00")]
    assert [(t.currency, str(t.amount)) for t in mail.credits] == [("ARS", "300.00")]
    assert (mail.overdue_count, mail.oldest_days_overdue) == (1, 20)
    # nothing but paused invoices: no email, and the outcome says why
    other = await customer(rc, contacts=[{"channel": "email", "address": "x@cliente.example"}])
    only = await invoice(rc, other["id"], due_date=str(rc.today - timedelta(days=3)))
    await _dispute(rc, only)
    skipped = await _record(rc, {"customer_id": other["id"], "kind": "unreachable"})
    assert skipped["message_requested"] is False
