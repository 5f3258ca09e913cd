"""Late charges on the statement (issue 19): the customer's open charges, oldest first, with their total per currency
(never added across currencies, nor into the invoices' totals), in the JSON, the HTML page and the PDF (es/en/pt);
a waived charge leaves it, and a customer without charges has no such section."""

from datetime import date
from decimal import Decimal

import pytest

from shared.words import words
from tests.receivables.helpers import customer, invoice, post
from tests.receivables.test_charges import assess, charge
from tests.receivables.test_statement_pdf import messaging_in_process, pdf_text

TITLES = {"es": "Cargos por mora", "en": "Late charges", "pt": "Encargos por atraso"}
TOTALS = {"es": "Total de cargos", "en": "Total late charges", "pt": "Total de encargos"}


async def charged(rc):
    c = await customer(rc, name="Distribuidora del Sur", language="es", country="AR")
    ars = await invoice(rc, c["id"], number="F-84", amount="1000.00")
    usd = await invoice(rc, c["id"], number="F-US", amount="200.00", currency="USD")
    fee = charge(
        ars, "overdue_30", "1500.00", kind="fixed", description="Cargo fijo por mora", charged_on=date(2026, 3, 3)
    )
    interest = charge(ars, "2026-03", "73.97", description="Interés marzo 2026", charged_on=date(2026, 3, 31))
    dollars = charge(usd, "2026-03", "12.50", description="Interés marzo (USD)", charged_on=date(2026, 3, 31))
    forgiven = charge(ars, "2026-04", "80.00", description="Interés perdonado", charged_on=date(2026, 4, 30))
    await assess(rc, fee, interest, dollars, forgiven)
    await post(rc.api, f"/v1/charges/{forgiven.charge_id}/waive", rc.admin, {"reason": "cortesía"}, expect=200)
    return c


async def test_the_statement_lists_open_charges_with_totals_per_currency(rc):
    c = await charged(rc)
    statement = (await rc.api.get(f"/v1/customers/{c['id']}/statement", headers=rc.admin)).json()
    assert [(g["invoice_number"], g["description"], g["amount"]) for g in statement["charges"]] == [
        ("F-84", "Cargo fijo por mora", "1500.00"),
        ("F-84", "Interés marzo 2026", "73.97"),
        ("F-US", "Interés marzo (USD)", "12.50"),
    ]
    assert statement["charge_totals"] == [
        {"currency": "ARS", "amount": "1573.97"},
        {"currency": "USD", "amount": "12.50"},
    ]
    ars = next(t for t in statement["totals"] if t["currency"] == "ARS")
    assert Decimal(ars["open_amount"]) == Decimal("1000.00")  # a charge is a document of its own


@pytest.mark.parametrize("language", ["es", "en", "pt"])
async def test_the_pdf_shows_the_late_charges_section(rc, language):
    c = await charged(rc)
    async with messaging_in_process(rc.stack):
        response = await rc.api.get(f"/v1/customers/{c['id']}/statement.pdf?language={language}", headers=rc.admin)
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    w = words(language, "AR")
    assert TITLES[language] in text and TOTALS[language] in text
    for description, amount, currency in (
        ("Cargo fijo por mora", "1500.00", "ARS"),
        ("Interés marzo 2026", "73.97", "ARS"),
        ("Interés marzo (USD)", "12.50", "USD"),
    ):
        assert description in text and w.money(amount, currency) in text
    assert w.money("1573.97", "ARS") in text and w.date(date(2026, 3, 31)) in text
    assert "Interés perdonado" not in text  # waived


async def test_no_charges_no_section(rc):
    c = await customer(rc, language="en")
    await invoice(rc, c["id"], number="F-1")
    page = await rc.api.get(f"/v1/customers/{c['id']}/statement.html?language=en", headers=rc.admin)
    assert page.status_code == 200 and "F-1" in page.text
    assert "Late charges" not in page.text
