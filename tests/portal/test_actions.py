"""What the debtor does on its page (issue 17, point 3), through the gateway as a browser does: the form, its token,
the post; each action lands in receivables or messaging, on the timeline, in the audit, and as a webhook event."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from services.webhooks import worker as webhooks_worker
from shared.outbox import relay_once
from tests.portal.support import debtor, own_cookies, portal_settings
from tests.support import run_worker

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64

pytestmark = pytest.mark.usefixtures(own_cookies.__name__)


@pytest.fixture
def receipts_dir(stack, tmp_path):
    with portal_settings(stack, storage_dir=str(tmp_path)):
        yield tmp_path


async def webhook_events(stack, api, headers) -> list[dict]:
    """The portal's outbox relayed, the webhooks worker run: the tenant's catalogue events."""
    while await relay_once(stack.engine, stack.arq, "portal"):
        pass
    await run_worker(webhooks_worker.WorkerSettings)
    return (await api.get("/v1/webhook-events", headers=headers)).json()["items"]


async def test_seed_004_report_with_its_receipt_marks_the_invoices_payment_reported(api, stack, receipts_dir):
    d = await debtor(api, stack, "85000.00", "1200.00")
    first = d.invoices[0]
    data = {
        "invoice_ids": [first["id"]],
        "paid_on": d.rc.today.isoformat(),
        "amount": "85.000,00",
        "bank": "Banco Nación",
        "account": "CBU 0110599520000001234567",
        "reference": "TRF-23763172736",
    }
    page = await d.submit("report", data, files={"receipt": ("comprobante.pdf", PDF, "application/pdf")})
    assert page.status_code == 200, page.text
    assert 'id="done"' in page.text and "Recibimos tu aviso de pago" in page.text

    invoice = await d.invoice()
    assert invoice["status"] == "payment_reported" and invoice["reported_date"] == d.rc.today.isoformat()
    assert (await d.invoice(1))["status"] == "normal"
    (outcome,) = [e for e in await d.timeline() if e["kind"] == "outcome"]
    assert outcome["data"]["channel"] == "portal" and outcome["data"]["kind"] == "payment_reported"
    assert "Banco Nación" in outcome["data"]["note"] and "85.000,00" in outcome["data"]["note"]

    (action,) = await d.audit()
    assert action["kind"] == "payment_reported" and action["detail"]["reference"] == "TRF-23763172736"
    receipt_id = action["result"]["receipt_id"]
    assert f"/v1/portal-receipts/{receipt_id}" in outcome["data"]["note"]
    receipt = await api.get(f"/v1/portal-receipts/{receipt_id}", headers=d.rc.collector)
    assert receipt.status_code == 200 and receipt.content == PDF
    assert receipt.headers["content-type"] == "application/pdf"
    assert list(receipts_dir.rglob("*.pdf"))
    assert (await api.get(f"/v1/portal-receipts/{receipt_id}")).status_code == 401

    events = await webhook_events(stack, api, d.rc.admin)
    (taken,) = [e for e in events if e["type"] == "portal.action_taken"]
    assert taken["data"]["kind"] == "payment_reported" and taken["data"]["action_id"] == action["id"]
    assert taken["data"]["customer_external_id"] == d.customer["external_id"]
    assert (taken["data"]["receipt_id"], taken["data"]["bank"]) == (receipt_id, "Banco Nación")
    assert taken["data"]["invoice_ids"] == [first["id"]] and taken["data"]["amount"] == "85000.00"


async def test_a_receipt_is_judged_by_its_content_and_its_size(api, stack, receipts_dir):
    d = await debtor(api, stack)
    data = {"paid_on": d.rc.today.isoformat(), "amount": "100", "bank": "Galicia"}
    renamed = await d.submit("report", data, files={"receipt": ("recibo.pdf", EXE, "application/pdf")})
    assert renamed.status_code == 422
    assert 'id="error-receipt"' in renamed.text and "PDF, PNG o JPG" in renamed.text
    assert 'value="Galicia"' in renamed.text  # the values are kept
    with portal_settings(stack, receipt_max_bytes=1024):
        large = await d.submit("report", data, files={"receipt": ("big.pdf", PDF + b"0" * 2048, "application/pdf")})
    assert large.status_code == 422 and 'id="error-receipt"' in large.text
    assert (await d.invoice())["status"] == "normal" and await d.audit() == []
    assert not list(receipts_dir.rglob("*.*"))


async def test_seed_000_promise_within_the_horizon_with_a_confirmation(api, stack):
    d = await debtor(api, stack)
    promised = d.rc.today + timedelta(days=10)
    page = await d.submit("promise", {"promised_date": promised.isoformat()})
    assert page.status_code == 200, page.text
    assert 'id="done"' in page.text

    invoice = await d.invoice()
    assert invoice["status"] == "promise_to_pay" and invoice["promised_date"] == promised.isoformat()
    async with stack.engine.begin() as conn:
        query = "SELECT message_type, payload, consumers FROM portal.outbox ORDER BY seq"
        rows = [(kind, payload) for kind, payload, consumers in (await conn.execute(text(query))).all()]
        routed = {kind: consumers for kind, _, consumers in (await conn.execute(text(query))).all()}
    assert routed == {"messaging.send_communications": ["messaging"], "portal.action_taken": ["webhooks"]}
    sends = [payload for kind, payload in rows if kind == "messaging.send_communications"]
    (message,) = sends[0]["communications"]
    assert message["kind"] == "confirmation" and message["channel"] == "email"
    assert message["to"] == "pagos@losandes.example" and message["source"] == "portal"
    assert message["data"]["action"] == "promise" and str(promised.year) in message["data"]["promised_date"]
    assert [kind for kind, _ in rows].count("portal.action_taken") == 1


async def test_a_promise_beyond_the_horizon_or_unreadable_answers_the_form_again(api, stack):
    d = await debtor(api, stack)
    far = await d.submit("promise", {"promised_date": (d.rc.today + timedelta(days=31)).isoformat()})
    assert far.status_code == 422 and 'id="error-promised_date"' in far.text
    assert 'aria-describedby="error-promised_date' in far.text
    garbled = await d.submit("promise", {"promised_date": "mañana"})
    assert garbled.status_code == 422 and 'id="error-promised_date"' in garbled.text
    foreign = await d.submit("promise", {"promised_date": d.rc.today.isoformat(), "invoice_ids": [str(d.rc.tenant_id)]})
    assert foreign.status_code == 422 and 'id="error-invoice_ids"' in foreign.text
    assert (await d.invoice())["status"] == "normal" and await d.audit() == []


async def test_a_post_without_the_form_token_or_with_a_wrong_one_is_refused(api, stack):
    d = await debtor(api, stack)
    await d.form("promise")  # the nonce cookie is set
    body = {"promised_date": d.rc.today.isoformat()}
    missing = await api.post(f"{d.base}/promise", data=body)
    wrong = await api.post(f"{d.base}/promise", data={**body, "csrf": "0" * 64})
    assert missing.status_code == wrong.status_code == 403
    assert "El formulario venció" in wrong.text
    assert (await d.invoice())["status"] == "normal"


async def test_seed_000_dispute_goes_to_the_area_the_reason_maps_to(api, stack):
    d = await debtor(api, stack)
    area = (await api.post("/v1/dispute-areas", json={"name": "Comercial"}, headers=d.rc.admin)).json()
    bad = await api.patch(
        "/v1/portal-settings", json={"dispute_areas": {"price": str(d.rc.tenant_id)}}, headers=d.rc.admin
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "dispute_areas.price"
    good = await api.patch("/v1/portal-settings", json={"dispute_areas": {"price": area["id"]}}, headers=d.rc.admin)
    assert good.status_code == 200 and good.json()["dispute_areas"] == {"price": area["id"]}

    missing = await d.submit("dispute", {"invoice_id": d.invoices[0]["id"], "reason": "price"})
    assert missing.status_code == 422 and 'id="error-comment"' in missing.text
    page = await d.submit(
        "dispute", {"invoice_id": d.invoices[0]["id"], "reason": "price", "comment": "Se facturó a $900 la unidad"}
    )
    assert page.status_code == 200 and 'id="done"' in page.text, page.text
    invoice = await d.invoice()
    assert invoice["status"] == "dispute" and invoice["dispute_area_id"] == area["id"]
    (outcome,) = [e for e in await d.timeline() if e["kind"] == "outcome"]
    assert "Se facturó a $900" in outcome["data"]["note"]


async def test_a_dispute_without_a_mapped_area_goes_to_the_first_area_else_to_a_person(api, stack):
    d = await debtor(api, stack, "85000.00", "1200.00")
    unmapped = {"invoice_id": d.invoices[1]["id"], "reason": "damaged", "comment": "Llegaron dos cajas rotas"}
    page = await d.submit("dispute", unmapped)
    assert page.status_code == 200 and 'id="done"' in page.text, page.text
    (task,) = (await api.get("/v1/tasks", params={"customer_id": d.customer["id"]}, headers=d.rc.admin)).json()["items"]
    assert "A-0001-00000451" in task["title"] and "Llegaron dos cajas rotas" in task["description"]
    assert (await d.invoice(1))["status"] == "normal"

    area = (await api.post("/v1/dispute-areas", json={"name": "Logística"}, headers=d.rc.admin)).json()
    page = await d.submit("dispute", {**unmapped, "invoice_id": d.invoices[0]["id"]})
    assert page.status_code == 200 and 'id="done"' in page.text, page.text
    assert (await d.invoice())["dispute_area_id"] == area["id"]


def next_workday(after: date) -> date:
    day = after + timedelta(days=1)
    while day.isoweekday() == 7:  # messaging's default window: Monday to Saturday, 08:00 to 20:00
        day += timedelta(days=1)
    return day


async def test_a_call_inside_the_contact_window_is_a_task_for_the_collector(api, stack):
    d = await debtor(api, stack)
    day = next_workday(d.rc.today + timedelta(days=1))
    late = await d.submit("call", {"call_at": f"{day.isoformat()}T22:30", "phone": "+5491155550001"})
    assert late.status_code == 422 and 'id="error-call_at"' in late.text
    page = await d.submit(
        "call", {"call_at": f"{day.isoformat()}T10:30", "phone": "11 5555-0001", "topic": "Quiero ver el saldo"}
    )
    assert page.status_code == 200 and 'id="done"' in page.text, page.text
    tasks = (await api.get("/v1/tasks", params={"customer_id": d.customer["id"]}, headers=d.rc.admin)).json()
    (task,) = tasks["items"]
    assert task["assignee_id"] == str(d.rc.collector_id) and task["due_date"] == day.isoformat()
    assert "+541155550001" in task["description"] and "Quiero ver el saldo" in task["description"]


async def test_opt_out_of_a_channel_the_customer_has(api, stack):
    d = await debtor(api, stack)
    none = await d.submit("opt-out", {"channel": "whatsapp"})
    assert none.status_code == 422 and 'id="error-channel"' in none.text
    page = await d.submit("opt-out", {"channel": "sms"})
    assert page.status_code == 200 and 'id="done"' in page.text, page.text
    listed = (await api.get("/v1/opt-out", headers=d.rc.admin)).json()["items"]
    assert [(o["channel"], o["address"]) for o in listed] == [("sms", "+5491155550001")]


async def test_seed_004_plan_within_the_rules_becomes_a_payment_plan(api, stack):
    """Seed 004: "Renegociar la deuda a tres plazos". Within the portal's rules the debtor's plan is proposed to
    receivables' payment plans (issue 19) with a task for the collector to accept or reject it; with the tenant's
    auto-accept it is accepted at once (its invoice in the plan); beyond receivables' limits the collector gets the
    plan by hand, with receivables' reason."""
    d = await debtor(api, stack)
    rules = {"plan_max_installments": 3, "plan_min_down_payment_percent": "20"}
    assert (await api.patch("/v1/portal-settings", json=rules, headers=d.rc.admin)).status_code == 200
    many = await d.submit("plan", {"installments": "6", "down_payment": "20000"})
    assert many.status_code == 422 and 'id="error-installments"' in many.text
    small = await d.submit("plan", {"installments": "3", "down_payment": "100"})
    assert small.status_code == 422 and 'id="error-down_payment"' in small.text and "17.000,00" in small.text
    page = await d.submit("plan", {"installments": "3", "down_payment": "25.000,00", "comment": "Cobro el 10"})
    assert page.status_code == 200 and 'id="done"' in page.text, page.text
    assert "Tu asesor lo revisa y te confirma el plan." in page.text
    plans = await api.get("/v1/payment-plans", params={"customer_id": d.customer["id"]}, headers=d.rc.admin)
    (plan,) = plans.json()["items"]
    assert (plan["status"], plan["source"], plan["down_payment"]) == ("proposed", "portal", "25000.00")
    assert [i["amount"] for i in plan["installments"]] == ["25000.00", "20000.00", "20000.00", "20000.00"]
    tasks = (await api.get("/v1/tasks", params={"customer_id": d.customer["id"]}, headers=d.rc.admin)).json()
    (task,) = tasks["items"]
    assert "3 cuotas" in task["title"] and "20.000,00" in task["description"]
    assert f"propuesto como plan de pagos {plan['number']}: aceptalo o rechazalo" in task["description"]
    (action,) = await d.audit()
    assert action["result"]["plan_created"] is True and action["result"]["plan_id"] == plan["id"]

    rejected = await api.post(f"/v1/payment-plans/{plan['id']}/reject", json={"reason": "Pide otra fecha"},
                              headers=d.rc.admin)  # fmt: skip
    assert rejected.status_code == 200, rejected.text
    auto = {"plan_limits": {"portal_auto_accept": True}}
    assert (await api.patch("/v1/receivables-settings", json=auto, headers=d.rc.admin)).status_code == 200
    page = await d.submit("plan", {"installments": "3", "down_payment": "25.000,00"})
    assert "Tu plan quedó aprobado: la primera cuota vence el" in page.text, page.text
    invoice = (await api.get(f"/v1/invoices/{d.invoices[0]['id']}", headers=d.rc.admin)).json()
    assert invoice["status"] == "in_plan" and invoice["plan_id"]

    other = await debtor(api, stack)  # receivables' limits are narrower than the portal's: refused there
    assert (await api.patch("/v1/portal-settings", json=rules, headers=other.rc.admin)).status_code == 200
    narrow = {"plan_limits": {"max_installments": 2}}
    assert (await api.patch("/v1/receivables-settings", json=narrow, headers=other.rc.admin)).status_code == 200
    page = await other.submit("plan", {"installments": "3", "down_payment": "25.000,00"})
    assert "No pudimos aprobarlo en el momento" in page.text, page.text
    tasks = (await api.get("/v1/tasks", params={"customer_id": other.customer["id"]}, headers=other.rc.admin)).json()
    (task,) = tasks["items"]
    assert "registralo como plan de pagos" in task["description"] and "El plan no se creó solo" in task["description"]
    (action,) = await other.audit()
    assert action["result"]["plan_created"] is False


@pytest.mark.parametrize(
    ("language", "word"), [("es", "Informar un pago"), ("en", "Report a payment"), ("pt", "Informar um pagamento")]
)
async def test_every_form_speaks_the_customers_language_and_labels_each_field(api, stack, language, word):
    d = await debtor(api, stack, language=language)
    for action in ("report", "promise", "dispute", "call", "opt-out", "plan"):
        page, _ = await d.form(action)
        assert f'<html lang="{language}">' in page.text and 'id="submit"' in page.text
        fields = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page.text))
        labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', page.text))
        assert fields and fields <= labelled, (action, fields - labelled)
    assert word in (await d.form("report"))[0].text
