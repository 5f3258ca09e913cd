"""The statement of account as PDF (issue 12, point 2): it downloads, opens, and its text holds the figures.

The PDF's text is read with pypdf. The figures are checked as the customer's locale writes them (``shared.words``):
the same words messages use, so the statement and a reminder agree.
"""

import io
import re
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from pypdf import PdfReader

from services.receivables.settings import ReceivablesSettings
from services.receivables.statements.tenant import MessagingProfiles, messaging_profiles
from shared.internal import InternalClient
from shared.words import words
from tests.receivables.helpers import customer, invoice, post
from tests.support import RoutingTransport

PROFILE = {
    "company": {
        "display_name": "Lácteos del Plata",
        "legal_name": "Lácteos del Plata S.A.",
        "tax_id": "30-71234567-9",
        "address": "Av. Corrientes 1234, CABA",
    },
    "payment_instructions": ["Banco Galicia: CBU 0070999020000012345678"],
    "payment_notification": {"email": "cobranzas@lacteos.example"},
}


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@asynccontextmanager
async def messaging_in_process(stack, url: str = "http://messaging.test"):
    """Receivables asks the in-process messaging app for the tenant's profile (its real HTTP API), or ``url``."""
    receivables = stack.services["receivables"]
    async with httpx.AsyncClient(transport=RoutingTransport({"messaging": stack.services["messaging"]})) as http:
        profiles = MessagingProfiles(InternalClient(http, ReceivablesSettings(messaging_url=url)))

        async def routed() -> MessagingProfiles:
            return profiles

        receivables.dependency_overrides[messaging_profiles] = routed
        try:
            yield
        finally:
            receivables.dependency_overrides.pop(messaging_profiles, None)


async def position(rc):
    """Seed 004's customer: three overdue invoices (10, 40 and 84 days), one not yet due, one promised, a payment
    on account of the oldest, a credit note applied to F-40 and a credit in another currency (never applied across
    currencies)."""
    t = rc.today
    c = await customer(rc, name="Distribuidora del Sur", language="es", country="AR", tax_id="30-70000000-1")
    numbers = {}
    for name, days, amount in (("F-84", 84, "1000.00"), ("F-40", 40, "2500.50"), ("F-10", 10, "123.45")):
        numbers[name] = await invoice(
            rc, c["id"], number=name, amount=amount, due_date=(t - timedelta(days=days)).isoformat()
        )
    await invoice(rc, c["id"], number="F-UP", amount="400.00", due_date=(t + timedelta(days=12)).isoformat())
    promised = await invoice(rc, c["id"], number="F-PR", amount="800.00", due_date=(t - timedelta(days=20)).isoformat())
    await post(
        rc.api,
        f"/v1/invoices/{promised['id']}/status",
        rc.admin,
        {"status": "promise_to_pay", "promised_date": (t + timedelta(days=5)).isoformat()},
        expect=200,
    )
    await post(
        rc.api,
        "/v1/payments",
        rc.admin,
        {
            "customer_id": c["id"],
            "currency": "ARS",
            "amount": "300.00",
            "payment_date": t.isoformat(),
            "reference": "TRF-5531",
            "invoices": [{"invoice_id": numbers["F-84"]["id"]}],
        },
    )
    await invoice(rc, c["id"], number="NC-7", amount="50.00", currency="USD", kind="credit_note")
    await invoice(rc, c["id"], number="NC-9", amount="100.00", kind="credit_note", applies_to=[numbers["F-40"]["id"]])
    return c


@pytest.mark.parametrize("language", ["es", "en"])
async def test_the_pdf_statement_downloads_opens_and_holds_the_figures(rc, language):
    patched = await rc.api.patch("/v1/messaging-settings", json={"profile": PROFILE}, headers=rc.admin)
    assert patched.status_code == 200, patched.text
    c = await position(rc)
    statement = (await rc.api.get(f"/v1/customers/{c['id']}/statement", headers=rc.admin)).json()
    assert statement["overdue_count"] == 3 and statement["oldest_days_overdue"] == 84
    assert sorted((p["reference"], p["invoice"], p["amount"]) for p in statement["payments"]) == [
        ("NC-9", "F-40", "100.00"),
        ("TRF-5531", "F-84", "300.00"),
    ]

    async with messaging_in_process(rc.stack):
        response = await rc.api.get(f"/v1/customers/{c['id']}/statement.pdf?language={language}", headers=rc.admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)

    w = words(language, "AR")
    assert ("Estado de cuenta" if language == "es" else "Account statement") in text
    assert "Distribuidora del Sur" in text and "30-70000000-1" in text
    # the tenant's identity, tax data, how to pay and how to notify a payment (its messaging profile)
    assert "Lácteos del Plata S.A." in text and "30-71234567-9" in text
    assert "CBU 0070999020000012345678" in text and "cobranzas@lacteos.example" in text
    for line in statement["invoices"]:
        assert line["number"] in text
        assert w.money(line["open_amount"], line["currency"]) in text
    assert w.money("700.00", "ARS") in text  # F-84 after the payment on account
    assert "TRF-5531" in text and "NC-9" in text  # the payment and the credit note applied, listed
    assert w.money("2400.50", "ARS") in text  # F-40 net of NC-9
    assert "NC-7" in text and w.money("50.00", "USD") in text  # the credit
    assert ("Promesa de pago para el" if language == "es" else "Payment promised for") in text
    for total in statement["totals"]:
        for key in ("open_amount", "overdue_amount", "amount_due"):
            assert w.money(total[key], total["currency"]) in text
    ars = next(t for t in statement["totals"] if t["currency"] == "ARS")
    # to pay now: the three overdue demanded invoices, not the promised one
    assert ars["amount_due"] == "3223.95"  # 700.00 + 2400.50 + 123.45
    for row in statement["aging"]:
        for amount in row["buckets"].values():
            assert w.money(amount, row["currency"]) in text
    assert ("Antigüedad de saldos" if language == "es" else "Aging") in text
    assert re.search(r"84 (días|days)", text)
    if language == "es":
        assert "US$ 50,00" in text  # money as Argentina writes it


async def test_the_pdf_still_comes_without_messaging(rc):
    """Messaging down: the statement comes without the payment instructions, named after the tenant."""
    c = await position(rc)
    async with messaging_in_process(rc.stack, url="http://nowhere.test"):  # no app there: a connection error
        response = await rc.api.get(f"/v1/customers/{c['id']}/statement.pdf", headers=rc.admin)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "F-84" in pdf_text(response.content)


async def test_an_unknown_customer_and_a_bad_language_are_problems(rc):
    missing = await rc.api.get("/v1/customers/00000000-0000-0000-0000-000000000000/statement.pdf", headers=rc.admin)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    c = await customer(rc)
    bad = await rc.api.get(f"/v1/customers/{c['id']}/statement.pdf?language=fr", headers=rc.admin)
    assert bad.status_code == 422 and "language" in bad.text
