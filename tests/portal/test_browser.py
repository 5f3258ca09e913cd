"""The customer's portal in a real headless browser (issue 17, "Done when"): Debian's chromium, as a phone, against
the whole system on loopback (the gateway served by uvicorn, messaging's SMTP adapter sending to the SMTP server,
the PSP stub with Checkout Pro's shape). The collector's "could not reach" emails the customer (seed 003: "incluir
link a portal de clientes ... para que el cliente abone en forma online su deuda"); the link is taken from that
email; the debtor pays one invoice online, reports a payment with its receipt (seed 004's data), promises a date,
disputes an invoice (seed 000's statuses) and asks for a call; each shows up through the API. Screenshots in es on
the phone are kept under test-artifacts/portal/."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.messaging.conftest import mailbox  # noqa: F401 - fixture: the SMTP server on loopback
from tests.messaging.support import messaging_tenant
from tests.portal.browser_support import (
    ARTIFACTS,
    Phone,
    System,
    in_browser,
    phone,
    portal_links,
    portal_pointed_at,
    psp_stub,
    small_pdf,
)
from tests.support import TenantCtx, tenant_today

pytestmark = pytest.mark.timeout(300)
EMAIL = "pagos@ferreteria-andes.example"
TODAY = tenant_today()
# Four overdue invoices, one per thing the debtor does with it.
INVOICES = {
    "pay": ("A-0001-00000451", "85000.00", 40),
    "report": ("A-0001-00000452", "12500.50", 25),
    "promise": ("A-0001-00000453", "30000.00", 12),
    "dispute": ("A-0001-00000454", "7200.00", 5),
}
SETTLE_ROUNDS = 20  # worker passes a payment may need to land (notification, allocation): a count, not a clock


@pytest.fixture
async def system(gateway_url, mailbox, stack, capsys, tmp_path) -> AsyncIterator[System]:  # noqa: F811
    async with psp_stub() as (psp_url, psp):
        with portal_pointed_at(stack.services["portal"], gateway_url, psp_url, tmp_path / "receipts"):
            yield System(stack, gateway_url, mailbox, psp_url, psp)
    with capsys.disabled():
        print(f"\nportal screenshots: {ARTIFACTS}")


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def debtor(api: httpx.AsyncClient, system: System) -> tuple[TenantCtx, dict[str, Any], dict[str, dict]]:
    """A tenant known to every service, an advisor and the dispute area damaged goods go to, and a customer (email,
    es) with four overdue invoices."""
    tenant = await messaging_tenant(api, system.stack, name="Distribuidora Sur S.A.")
    await system.settle(1)
    admin = tenant.admin
    person = {"kind": "advisor", "name": "Juan Gómez", "email": "juan@distribuidora-sur.example"}
    advisor = ok(await api.post("/v1/people", json=person, headers=admin), 201)
    area = {"name": "Logística", "responsible_id": advisor["id"]}
    area = ok(await api.post("/v1/dispute-areas", json=area, headers=admin), 201)
    reasons = {"dispute_areas": {"damaged": area["id"], "not_received": area["id"]}}  # seed 000: the area responsible
    ok(await api.patch("/v1/portal-settings", json=reasons, headers=admin))
    body = {"name": "Ferretería Los Andes S.R.L.", "external_id": "C-1", "language": "es", "country": "AR"}
    body |= {"contacts": [{"channel": "email", "address": EMAIL}], "advisor_id": advisor["id"]}
    customer = ok(await api.post("/v1/customers", json=body, headers=admin), 201)
    invoices = {}
    for purpose, (number, amount, days) in INVOICES.items():
        due = TODAY - timedelta(days=days)
        invoice = {"customer_id": customer["id"], "external_id": f"F-{number}", "number": number, "currency": "ARS"}
        invoice |= {"amount": amount, "issue_date": (due - timedelta(days=30)).isoformat(), "due_date": due.isoformat()}
        invoices[purpose] = ok(await api.post("/v1/invoices", json=invoice, headers=admin), 201)
    await system.settle(1)
    return tenant, customer, invoices


async def emailed_link(api: httpx.AsyncClient, system: System, tenant: TenantCtx, customer: dict) -> str:
    """The collector could not reach the customer (seed 000, outcome 5: an email with the invoices goes out, on any
    day, where a dunning run waits for a business day); the portal's link in that email, kept by the portal once
    messaging announced it."""
    outcome = {"customer_id": customer["id"], "kind": "unreachable", "note": "No atiende el teléfono"}
    ok(await api.post("/v1/outcomes", json=outcome, headers=tenant.admin), 201)
    await system.settle(2)
    mails = system.mail_to(EMAIL)
    assert mails, "the email did not reach the SMTP server"
    links = [link for mail in mails for link in portal_links(mail, system.gateway_url)]
    assert links, f"no portal link in the email: {mails[0].get_body(('plain', 'html')).get_content()}"
    return links[0]


async def invoice_status(api: httpx.AsyncClient, tenant: TenantCtx, invoice: dict) -> str:
    return (ok(await api.get(f"/v1/invoices/{invoice['id']}", headers=tenant.admin)))["status"]


def as_typed_in_argentina(amount: str) -> str:
    """12500.50 as a debtor in Argentina types it: 12.500,50."""
    return f"{Decimal(amount):,.2f}".translate(str.maketrans(",.", ".,"))


# ---- what the debtor does on the phone (each step in a thread: the servers run in the test's event loop) ----------


def see_position(browser: Phone, link: str, name: str = "01-posicion") -> str:
    browser.open(link, "h1")
    browser.screenshot(name)
    return browser.text()


def pay_online(browser: Phone, link: str, number: str) -> tuple[str, str]:
    """Pay one invoice through the provider's checkout page (approve); the return page's state."""
    browser.open(link, "h1")
    browser.click("a[href$='/pay']", then=f"#invoice-{number}")
    browser.check(f"#invoice-{number}")
    browser.screenshot("02-pagar")
    browser.click("#submit", then="button[value=approved]")  # the provider's checkout page
    browser.screenshot("03-checkout-del-proveedor")
    browser.click("button[value=approved]", then="#payment-result")
    return browser.driver.current_url, str(browser.wait_for("#payment-result").get_attribute("data-state"))


def see_payment_result(browser: Phone, url: str) -> str:
    browser.open(url, "#payment-result")
    browser.screenshot("04-pago-acreditado")
    return str(browser.wait_for("#payment-result").get_attribute("data-state"))


def report_payment(browser: Phone, link: str, number: str, amount: str, receipt: Path) -> str:
    browser.open(link, "h1")
    browser.click("a[href$='/report']", then="#submit")
    browser.check(f"#invoice-{number}")
    browser.fill("paid_on", (TODAY - timedelta(days=1)).isoformat())
    browser.fill("amount", as_typed_in_argentina(amount))
    browser.fill("bank", "Banco de Galicia")
    browser.fill("account", "CBU 0070999030004123456789")
    browser.fill("reference", "TRF-000123")
    browser.attach("receipt", receipt)
    browser.screenshot("05-informar-pago")
    browser.click("#submit", then="#done")
    browser.screenshot("06-pago-informado")
    return browser.text("#done")


def promise(browser: Phone, link: str, number: str, promised: date) -> str:
    browser.open(link, "h1")
    browser.click("a[href$='/promise']", then="#submit")
    browser.check(f"#invoice-{number}")
    browser.fill("promised_date", promised.isoformat())
    browser.screenshot("07-promesa")
    browser.click("#submit", then="#done")
    browser.screenshot("08-promesa-hecha")
    return browser.text("#done")


def dispute(browser: Phone, link: str, invoice_id: str) -> str:
    browser.open(link, "h1")
    browser.click("a[href$='/dispute']", then="#submit")
    browser.check(f"input[name=invoice_id][value='{invoice_id}']")
    browser.choose("reason", "damaged")
    browser.fill("comment", "La mercadería llegó dañada: pedimos nota de crédito.")
    browser.screenshot("09-disputa")
    browser.click("#submit", then="#done")
    browser.screenshot("10-disputa-registrada")
    return browser.text("#done")


def ask_for_a_call(browser: Phone, link: str) -> str:
    browser.open(link, "h1")
    browser.click("a[href$='/call']", then="#submit")
    day = TODAY + timedelta(days=2)
    while day.isoweekday() > 5:  # a weekday, inside any contact window's days
        day += timedelta(days=1)
    browser.fill("call_at", f"{day.isoformat()}T11:00")
    browser.fill("phone", "+54 11 5555-0101")
    browser.fill_or_choose("topic", "Quiero revisar el saldo")
    browser.screenshot("11-llamado")
    browser.click("#submit", then="#done")
    return browser.text("#done")


def refused_page(browser: Phone, url: str, name: str) -> str:
    browser.open(url, "main")
    browser.screenshot(name)
    return browser.text()


# ---- the tests --------------------------------------------------------------------------------------------------


async def test_the_debtor_pays_reports_promises_and_disputes_from_the_emailed_link(api, system, tmp_path):
    """Seed 003's portal link in seed 000's "could not reach" email; seed 004's report; seed 000's statuses."""
    tenant, customer, invoices = await debtor(api, system)
    link = await emailed_link(api, system, tenant, customer)
    receipt = tmp_path / "comprobante.pdf"
    receipt.write_bytes(small_pdf())

    async with phone() as browser:
        page = await in_browser(see_position, browser, link)
        assert "Ferretería Los Andes" in page and "Distribuidora Sur" in page
        assert all(number in page for number, _, _ in INVOICES.values())
        assert "85.000,00" in page

        number = INVOICES["pay"][0]
        return_url, state = await in_browser(pay_online, browser, link, number)
        assert return_url.startswith(system.gateway_url + "/portal/") and state in ("paid", "pending")
        for _ in range(SETTLE_ROUNDS):  # the provider's notification, then receivables' allocation
            if await invoice_status(api, tenant, invoices["pay"]) == "paid":
                break
            await system.settle(1)
            await asyncio.sleep(0.2)
        assert await invoice_status(api, tenant, invoices["pay"]) == "paid"
        assert await in_browser(see_payment_result, browser, return_url) == "paid"

        number, amount, _ = INVOICES["report"]
        done = await in_browser(report_payment, browser, link, number, amount, receipt)
        assert done
        promised = TODAY + timedelta(days=7)
        mails_before = len(system.mail_to(EMAIL))
        assert await in_browser(promise, browser, link, INVOICES["promise"][0], promised)
        assert await in_browser(dispute, browser, link, invoices["dispute"]["id"])
        assert await in_browser(ask_for_a_call, browser, link)
    await system.settle(2)

    statuses = {purpose: await invoice_status(api, tenant, invoice) for purpose, invoice in invoices.items()}
    assert statuses == {"pay": "paid", "report": "payment_reported", "promise": "promise_to_pay", "dispute": "dispute"}
    timeline = ok(await api.get(f"/v1/customers/{customer['id']}/timeline", headers=tenant.admin))
    entries = timeline["items"] if isinstance(timeline, dict) else timeline
    kinds = {entry["kind"] for entry in entries}
    assert {"payment", "outcome", "status_change", "task"} <= kinds
    outcomes = {entry["data"].get("kind") for entry in entries if entry["kind"] == "outcome"}
    assert {"payment_reported", "promise_to_pay", "dispute"} <= outcomes
    disputed = [e["data"] for e in entries if e["kind"] == "status_change" and e["data"].get("to") == "dispute"]
    assert disputed and disputed[0]["dispute_area_id"], "the dispute goes to the area its reason maps to"
    tasks = ok(await api.get("/v1/tasks", params={"customer_id": customer["id"]}, headers=tenant.admin))
    assert tasks["items"], "asking for a call leaves a task for the collector"
    assert len(system.mail_to(EMAIL)) > mails_before, "the promise is confirmed by email"
    actions = ok(await api.get("/v1/portal-actions", headers=tenant.admin))
    done_kinds = {a["kind"] for a in actions["items"]}
    (reported,) = [a for a in actions["items"] if a["kind"] == "payment_reported"]
    kept = await api.get(f"/v1/portal-receipts/{reported['result']['receipt_id']}", headers=tenant.admin)
    assert kept.status_code == 200 and kept.headers["content-type"] == "application/pdf"
    assert kept.content == receipt.read_bytes()
    assert {"opened", "checkout_started", "payment_notified", "payment_reported", "promise", "dispute"} <= done_kinds
    events = ok(await api.get("/v1/webhook-events", headers=tenant.admin))
    types = {event["type"] for event in events["items"]}
    assert {"payment.allocated", "payment.reported", "promise.made", "dispute.opened", "portal.action_taken"} <= types
    portal_kinds = {e["data"]["kind"] for e in events["items"] if e["type"] == "portal.action_taken"}
    assert {"payment_reported", "promise", "dispute", "call_requested"} <= portal_kinds


async def test_expired_and_tampered_links_get_the_friendly_page_and_no_data(api, system, stack):
    """A link made by hand opens the position; the same link tampered with, or expired, shows no data."""
    tenant = await messaging_tenant(api, stack, name="Distribuidora Sur S.A.")
    await system.settle(1)
    body = {"name": "Ferretería Los Andes S.R.L.", "language": "es", "country": "AR"}
    customer = ok(await api.post("/v1/customers", json=body, headers=tenant.admin), 201)
    invoice = {"customer_id": customer["id"], "number": "A-0001-00000451", "currency": "ARS", "amount": "85000.00"}
    invoice |= {"issue_date": "2026-10-01", "due_date": "2026-11-01"}
    ok(await api.post("/v1/invoices", json=invoice, headers=tenant.admin), 201)
    good = ok(await api.post("/v1/portal-links", json={"customer_id": customer["id"]}, headers=tenant.admin), 201)
    old = ok(await api.post("/v1/portal-links", json={"customer_id": customer["id"]}, headers=tenant.admin), 201)
    async with stack.engine.begin() as conn:
        await conn.execute(
            text("UPDATE portal.links SET issued_at = now() - interval '400 days' WHERE id = :id"), {"id": old["id"]}
        )
    url, expired = good["url"], old["url"]
    assert url.startswith(system.gateway_url + "/portal/")
    tampered = url[:-1] + ("A" if url[-1] != "A" else "B")

    async with phone() as browser:
        page = await in_browser(see_position, browser, url, "89-enlace-valido")
        assert "Distribuidora Sur" in page and "Ferretería Los Andes" in page and "A-0001-00000451" in page
        refused = [
            await in_browser(refused_page, browser, tampered, "90-enlace-alterado"),
            await in_browser(refused_page, browser, expired, "91-enlace-vencido"),
        ]
    assert refused[0] == refused[1]
    assert "Ferretería" not in refused[0] and "A-0001" not in refused[0] and "85.000" not in refused[0]
