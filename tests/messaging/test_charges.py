"""Late charges in messages (issue 19): the ``charges`` tag (the message's ``Communication.charges``) and the shipped
templates, which show them only when there are some: a table in emails (HTML and text) with the totals per currency,
one short line with the total per currency in SMS and WhatsApp; money and dates localized. Pure: no database."""

import uuid
from datetime import date

import pytest

from messaging_service.delivery.statement import statement_attachments
from messaging_service.templates.checks import check
from messaging_service.templates.context import build_context
from messaging_service.templates.defaults import LANGUAGES
from messaging_service.templates.tags import TAGS
from shared.contracts.common import Channel, ChargeLine
from tests.messaging.test_position import TENANT, TODAY, position, rendered
from tests.receivables.test_statement_pdf import pdf_text


def charge(invoice: str, description: str, amount: str, currency: str, on: date) -> ChargeLine:
    return ChargeLine(
        charge_id=uuid.uuid5(uuid.NAMESPACE_OID, description),
        invoice_id=uuid.uuid5(uuid.NAMESPACE_OID, invoice),
        invoice_number=invoice,
        kind="interest",
        description=description,
        currency=currency,
        amount=amount,
        charged_on=on,
    )


CHARGES = [
    charge("F-1", "Interés octubre", "73.97", "USD", date(2026, 10, 31)),
    charge("F-3", "Cargo fijo por mora", "1500.00", "ARS", date(2026, 11, 20)),
    charge("F-1", "Cargo fijo", "25.00", "USD", date(2026, 9, 30)),
]
EXPECTED = {  # money and dates as each language writes them for an Argentine customer
    "es": ("Cargos por mora", "Total de cargos", "$ 1.500,00", "US$ 98,97", "31/10/2026", "$ 1.500,00 y US$ 98,97"),
    "en": ("Late charges", "Total late charges", "ARS 1,500.00", "$98.97", "10/31/2026", "ARS 1,500.00 and $98.97"),
    "pt": (
        "Encargos por atraso",
        "Total de encargos",
        "ARS 1.500,00",
        "US$ 98,97",
        "31/10/2026",
        "ARS 1.500,00 e US$ 98,97",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_email_lists_the_charges_with_their_totals_per_currency(language):
    title, total_label, ars, usd, day, _ = EXPECTED[language]
    message = rendered(position(language=language, charges=CHARGES))
    for body in (message.body_html, message.body_text):
        assert title in body and total_label in body
        for description in ("Interés octubre", "Cargo fijo por mora", "Cargo fijo"):
            assert description in body
        assert ars in body and usd in body and day in body
    # oldest first, and the invoices' totals are not changed by the charges
    text = message.body_text
    assert text.index("Cargo fijo ·") < text.index("Interés octubre") < text.index("Cargo fijo por mora")
    plain = rendered(position(language=language))
    assert title not in plain.body_html and title not in plain.body_text
    assert plain.subject == message.subject


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", [Channel.SMS, Channel.WHATSAPP])
def test_sms_and_whatsapp_carry_one_short_line_only_when_there_are_charges(language, channel):
    title, _, _, _, _, phrase = EXPECTED[language]
    with_charges = rendered(position(language=language, channel=channel.value, charges=CHARGES))
    assert f"{title}: {phrase}." in with_charges.body_text
    assert with_charges.body_text.count(title) == 1
    without = rendered(position(language=language, channel=channel.value))
    assert title not in without.body_text


def test_the_charges_tags_are_documented_and_usable_in_a_tenant_template():
    ctx = build_context(position(charges=CHARGES), TENANT, language="es", today=TODAY)
    assert {"charges", "charge_totals", "charge_total"} <= set(TAGS) and ctx["charge_total"] == "$ 1.500,00 y US$ 98,97"
    assert [c.description for c in ctx["charges"]] == ["Cargo fijo", "Interés octubre", "Cargo fijo por mora"]
    assert str(ctx["charges"][0].charged_on) == "30/09/2026" and str(ctx["charges"][0].amount) == "US$ 25,00"
    source = (
        "{% for c in charges %}{{ c.invoice_number }} {{ c.kind }} {{ c.charged_on.long }} {{ c.amount }}{% endfor %}"
    )
    assert check(source) == []
    empty = build_context(position(), TENANT, language="es", today=TODAY)
    assert (empty["charges"], empty["charge_totals"], empty["charge_total"]) == ([], [], "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_attached_statement_has_the_late_charges_section(language):
    title, total_label, ars, usd, day, _ = EXPECTED[language]
    payload = position(language=language, charges=CHARGES).model_dump(mode="json")
    (pdf,) = statement_attachments(payload, TENANT, language, TODAY, formats=("pdf",))
    text = pdf_text(pdf.content)
    assert title in text and total_label in text and "Cargo fijo por mora" in text
    assert ars in text and usd in text and day in text
    (plain,) = statement_attachments(
        position(language=language).model_dump(mode="json"), TENANT, language, TODAY, formats=("pdf",)
    )
    assert title not in pdf_text(plain.content)


def test_the_body_and_the_attached_statement_list_one_days_charges_in_the_same_order():
    """Two charges of one invoice and day (a step's fee and a month's interest): both keep the payload's order, not
    the charges' ids'."""
    day = date(2026, 10, 31)
    first = charge("F-1", "Interés octubre", "73.97", "USD", day).model_copy(update={"charge_id": uuid.UUID(int=2)})
    second = charge("F-1", "Cargo fijo", "25.00", "USD", day).model_copy(update={"charge_id": uuid.UUID(int=1)})
    communication = position(charges=[first, second])
    body = rendered(communication).body_text
    assert body.index("Interés octubre") < body.index("Cargo fijo ·")
    ctx = build_context(communication, TENANT, language="es", today=TODAY)
    assert [c.description for c in ctx["charges"]] == ["Interés octubre", "Cargo fijo"]
    (page,) = statement_attachments(communication.model_dump(mode="json"), TENANT, "es", TODAY, formats=("html",))
    html = page.content.decode() if isinstance(page.content, bytes) else page.content
    assert html.index("Interés octubre") < html.index("Cargo fijo<")
