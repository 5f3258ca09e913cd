"""The customer's page shows the open late charges (issue 19) from receivables' statement, in the customer's
language, with their total per currency; a page without charges has no such section."""

from datetime import date
from decimal import Decimal

import pytest

from shared.words import words
from tests.portal.test_page import make_link, path_of
from tests.receivables.helpers import customer, invoice, post, setup_tenant
from tests.receivables.test_charges import assess, charge

WORDS = {
    "es": ("Cargos por mora", "Total de cargos"),
    "en": ("Late charges", "Total late charges"),
    "pt": ("Encargos por atraso", "Total de encargos"),
}


@pytest.mark.parametrize("language", ["es", "en", "pt"])
async def test_the_page_lists_open_charges_with_their_total(api, stack, language):
    rc = await setup_tenant(api, stack)
    c = await customer(rc, language=language, country="AR")
    inv = await invoice(rc, c["id"], number="A-0001-00000451")
    fee = charge(inv, "overdue_30", "1500.00", kind="fixed", description="Cargo fijo por mora")
    interest = charge(inv, "2026-03", "73.97", description="Interés marzo 2026", charged_on=date(2026, 3, 31))
    waived = charge(inv, "2026-04", "80.00", description="Interés perdonado")
    await assess(rc, fee, interest, waived)
    await post(rc.api, f"/v1/charges/{waived.charge_id}/waive", rc.admin, {"reason": "cortesía"}, expect=200)
    link = await make_link(api, rc.admin, c["id"])
    page = await api.get(path_of(link["url"]))
    assert page.status_code == 200, page.text
    title, total = WORDS[language]
    w = words(language)  # money and dates as the page writes them (its invoices too)
    assert title in page.text and total in page.text
    assert w.money(Decimal("1573.97"), "ARS") in page.text and w.date(date(2026, 3, 31)) in page.text
    assert "Cargo fijo por mora" in page.text and "Interés marzo 2026" in page.text
    assert "Interés perdonado" not in page.text


async def test_no_charges_no_section(api, stack):
    rc = await setup_tenant(api, stack)
    c = await customer(rc, language="es", country="AR")
    await invoice(rc, c["id"], number="A-0001-00000452")
    link = await make_link(api, rc.admin, c["id"])
    page = await api.get(path_of(link["url"]))
    assert page.status_code == 200 and "A-0001-00000452" in page.text
    assert "Cargos por mora" not in page.text
