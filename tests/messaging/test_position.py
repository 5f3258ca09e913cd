"""Every message tells the whole debt (issue 12): the customer's position in the shipped texts, plurals that agree,
and one way to write an amount in messages, digests and statements. Pure: no database."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel.numbers import format_decimal

from alarms_service.digests import rules as alarm_rules
from alarms_service.digests import wording as alarm_wording
from alarms_service.tenant_settings.rules import Alarm
from messaging_service.delivery.acceptance import invoices_about
from messaging_service.delivery.rendering import render_source
from messaging_service.templates.checks import check
from messaging_service.templates.context import TenantView, build_context
from messaging_service.templates.defaults import LANGUAGES, TONES, all_defaults
from messaging_service.templates.engine import render
from messaging_service.templates.tags import TAGS
from shared.contracts.common import Channel
from shared.contracts.messaging import Communication, CommunicationKind
from shared.statement import render_html, summarize
from shared.words import words
from tests.messaging.support import communication

TODAY = date(2026, 11, 23)
TENANT = TenantView(name="Lácteos del Plata S.A.", country="AR", profile={})


def line(number: str, days: int, amount: str, currency: str = "USD", **extra) -> dict:
    return {
        "invoice_id": uuid.uuid5(uuid.NAMESPACE_OID, number),
        "number": number,
        "currency": currency,
        "amount": amount,
        "open_amount": amount,
        "issue_date": TODAY - timedelta(days=days + 30),
        "due_date": TODAY - timedelta(days=days),
        "days_overdue": days,
        **extra,
    }


def position(kind: str = "overdue", language: str = "es", channel: str = "email", **update) -> Communication:
    """Three overdue invoices (two in dollars, one in pesos), one not yet due, one under a payment promise and a
    dollar credit; the peso invoice reached the step. Totals as the contract asks: overdue, asked for, net of the
    credit of their currency."""
    data = {
        "idempotency_key": f"position-{uuid.uuid4()}",
        "kind": kind,
        "channel": channel,
        "to": "pagos@cliente.example" if channel == "email" else "+5491155551234",
        "language": language,
        "tone": 2,
        "customer": {"customer_id": uuid.UUID(int=7), "name": "Almacén Central", "country": "AR"},
        "recipient_name": "Ana",
        "invoices": [
            line("F-1", 90, "1000.00"),
            line("F-2", 40, "500.00"),
            line("F-5", 12, "700.00", status="promise_to_pay", demanded=False, promised_date=date(2026, 12, 3)),
            line("F-3", 10, "20000.00", "ARS", triggered=True),
            line("F-4", -15, "300.00"),
        ],
        "totals": [{"currency": "ARS", "amount": "20000.00"}, {"currency": "USD", "amount": "1300.00"}],
        "open_totals": [{"currency": "ARS", "amount": "20000.00"}, {"currency": "USD", "amount": "1600.00"}],
        "credits": [{"currency": "USD", "amount": "200.00"}],
        "overdue_count": 3,
        "oldest_days_overdue": 90,
        "source": "dunning",
    }
    return Communication.model_validate({**data, **update})


def rendered(communication: Communication, tone: int = 2, tenant: TenantView = TENANT):
    kind, channel, language = communication.kind.value, communication.channel.value, communication.language
    ctx = build_context(communication, tenant, language=language, today=TODAY, unsubscribe_url="https://x.example/u")
    return render_source(all_defaults()[(kind, channel, language, tone)], channel, ctx)


EXPECTED = {
    "es": {
        "count": "3 facturas vencidas",
        "total": "$ 20.000,00 y US$ 1.300,00",
        "oldest": "la más antigua ya tiene 90 días de atraso",
        "days": "90 días de atraso",
        "promise": "No le reclamamos la factura F-5 (promesa de pago para el 03/12/2026)",
        "changed": "La factura F-3 sigue pendiente de pago",
        "credit": "saldo a favor de US$ 200,00",
        "open": "Su saldo total, con 1 factura por vencer, es de $ 20.000,00 y US$ 1.600,00",
    },
    "en": {
        "count": "3 overdue invoices",
        "total": "ARS 20,000.00 and $1,300.00",
        "oldest": "the oldest is 90 days overdue",
        "days": "90 days overdue",
        "promise": "We are not asking you to pay invoice F-5 (payment promised for 12/03/2026)",
        "changed": "Invoice F-3 is still unpaid",
        "credit": "Your credit of $200.00",
        "open": "Your total balance, including 1 invoice not yet due, is ARS 20,000.00 and $1,600.00",
    },
    "pt": {
        "count": "3 faturas vencidas",
        "total": "ARS 20.000,00 e US$ 1.300,00",
        "oldest": "a mais antiga já tem 90 dias de atraso",
        "days": "90 dias de atraso",
        "promise": "Não estamos cobrando a fatura F-5 (promessa de pagamento para 03/12/2026)",
        "changed": "A fatura F-3 continua pendente de pagamento",
        "credit": "Seu crédito de US$ 200,00",
        "open": "Seu saldo total, com 1 fatura a vencer, é de ARS 20.000,00 e US$ 1.600,00",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_issue_12_one_message_states_the_whole_position(language):
    """Three overdue invoices, one not yet due, a promise and a credit: one invoice reached a step, and the message
    states all three overdue ones, the per-currency totals net of the credit, the oldest days, the promise with its
    date (not asked for) and the credit."""
    expected = EXPECTED[language]
    message = rendered(position(language=language))
    assert "Lácteos del Plata S.A." in message.subject
    assert expected["total"] in message.subject and expected["days"] in message.subject, message.subject
    text = " ".join(message.body_text.split())
    for key in ("count", "total", "oldest", "promise", "changed", "credit", "open"):
        assert expected[key] in text, (key, text)
    assert "S.A.." not in text and "S.A.." not in message.body_html
    # The paused invoice is listed in the table with its status, and no total counts it.
    assert "F-5" in message.body_html and expected["promise"].split("(")[1].rstrip(")") in message.body_html
    assert {"es": "US$ 2.000,00", "en": "$2,000.00", "pt": "US$ 2.000,00"}[language] not in text


def test_every_shipped_template_renders_the_full_position_in_every_language_and_tone():
    customer_kinds = (
        CommunicationKind.NEW_INVOICE,
        CommunicationKind.PRE_DUE,
        CommunicationKind.OVERDUE,
        CommunicationKind.ACTION_NOTICE,
        CommunicationKind.UNREACHABLE,
    )
    for kind in customer_kinds:
        for language in LANGUAGES:
            for channel in Channel:
                for tone in TONES:
                    update = {"action": "suspend_service"} if kind is CommunicationKind.ACTION_NOTICE else {}
                    message = rendered(position(kind.value, language, channel.value, **update), tone)
                    assert message.body_text.strip()
                    assert "S.A.." not in message.body_text
                    if channel is Channel.EMAIL:
                        assert "Lácteos del Plata S.A." in message.subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_pre_due_names_what_falls_due_and_the_overdue_debt(language):
    communication = position(
        "pre_due",
        language,
        invoices=[
            line("F-1", 90, "1000.00"),
            line("F-4", -5, "300.00", triggered=True),
        ],
        totals=[{"currency": "USD", "amount": "800.00"}],
        overdue_count=1,
    )
    message = rendered(communication, tone=1)
    text = " ".join(message.body_text.split())
    falls_due = {
        "es": "la factura F-4, que detallamos abajo, vence en 5 días",
        "en": "invoice F-4, listed below, falls due in 5 days",
        "pt": "a fatura F-4, listada abaixo, vence em 5 dias",
    }
    overdue = {
        "es": "1 factura vencida por US$ 800,00, con 90 días de atraso",
        "en": "1 overdue invoice for $800.00, 90 days overdue",
        "pt": "1 fatura vencida no valor de US$ 800,00, com 90 dias de atraso",
    }
    assert falls_due[language] in text, text
    assert overdue[language] in text, text
    assert {"es": "US$ 300,00", "en": "$300.00", "pt": "US$ 300,00"}[language] in message.subject


PLURALS = {
    # language: (one invoice falls due, two invoices fall due, one overdue, three overdue, one day, two days)
    "es": (
        "la factura A-1, que detallamos abajo, vence",
        "las facturas A-1 y A-2, que detallamos abajo, vencen",
        "1 factura vencida",
        "3 facturas vencidas",
        "1 día de atraso",
        "2 días de atraso",
    ),
    "en": (
        "invoice A-1, listed below, falls due",
        "invoices A-1 and A-2, listed below, fall due",
        "1 overdue invoice",
        "3 overdue invoices",
        "1 day overdue",
        "2 days overdue",
    ),
    "pt": (
        "a fatura A-1, listada abaixo, vence",
        "as faturas A-1 e A-2, listadas abaixo, vencem",
        "1 fatura vencida",
        "3 faturas vencidas",
        "1 dia de atraso",
        "2 dias de atraso",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_agree_for_one_and_many(language):
    one_due, many_due, one_overdue, many_overdue, one_day, many_days = PLURALS[language]

    def pre_due(*numbers: str) -> str:
        lines = [line(n, -3 - i, "10.00", triggered=True) for i, n in enumerate(numbers)]
        communication = position("pre_due", language, invoices=lines, totals=[], overdue_count=0, credits=[])
        return " ".join(rendered(communication, tone=1).body_text.split())

    assert one_due in pre_due("A-1")
    assert many_due in pre_due("A-1", "A-2")

    def overdue(count: int, days: int) -> str:
        lines = [line(f"B-{i}", days, "10.00", triggered=True) for i in range(count)]
        communication = position(
            "overdue", language, invoices=lines, overdue_count=count, oldest_days_overdue=days, credits=[]
        )
        return " ".join(rendered(communication, tone=1).body_text.split())

    single, several = overdue(1, 1), overdue(3, 2)
    assert one_overdue in single and one_day in single, single
    assert many_overdue in several and many_days in several, several
    fmt = words(language)
    assert fmt.count(1, ("x", "xs")) == "1 x" and fmt.count(2, ("x", "xs")) == "2 xs"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_unreachable_email_states_the_overdue_position(language):
    text = " ".join(rendered(position("unreachable", language)).body_text.split())
    for key in ("count", "total", "oldest", "promise", "credit", "open"):
        assert EXPECTED[language][key] in text, (key, text)


def test_an_action_is_named_with_its_article():
    """'hemos dispuesto la suspensión del servicio', never 'hemos dispuesto suspensión del servicio'."""
    notice = position("action_notice", "es", action="suspend_service")
    assert "hemos dispuesto la suspensión del servicio" in rendered(notice, tone=3).body_text
    assert "procederemos con la suspensión del servicio" in " ".join(rendered(notice, tone=1).body_text.split())
    assert "Aviso de suspensión del servicio" in rendered(notice, tone=1).subject


def test_every_value_a_template_sees_is_a_documented_tag():
    ctx = build_context(position(), TENANT, language="es", today=TODAY)
    assert set(ctx) - {"collections", "payment_instructions", "payment_notification"} <= set(TAGS)
    assert set(TAGS) <= set(ctx)


def test_money_is_written_the_same_in_a_message_a_digest_and_a_statement():
    """Issue 12, point 5: "US$ 1.000,00" in messages was "US$1.000,00" in digests."""
    amount, written = Decimal("1234.50"), "US$ 1.234,50"
    message = build_context(
        position(totals=[{"currency": "USD", "amount": str(amount)}]), TENANT, language="es", today=TODAY
    )
    assert message["total"] == written
    digest = alarm_wording.compose(
        Alarm.DISPUTES,
        alarm_rules.Audience.AREA,
        [],
        row_count=0,
        customers=0,
        totals={"USD": str(amount)},
        language="es",
        country="AR",
    )
    assert written in digest.summary, digest.summary
    invoice = {
        "number": "F-1",
        "currency": "USD",
        "amount": amount,
        "open_amount": amount,
        "days_overdue": 10,
        "status": "normal",
        "issue_date": TODAY - timedelta(days=40),
        "due_date": TODAY - timedelta(days=10),
    }
    statement = {
        "customer": {"name": "Almacén Central", "country": "AR"},
        "as_of": TODAY,
        "invoices": [invoice],
        "credits": [],
        "payments": [],
        **summarize([invoice], []),
    }
    assert written in render_html(statement, "es", "AR")


@pytest.mark.parametrize("language", LANGUAGES)
def test_words_count_and_agree_as_babel_says(language):
    fmt = words(language, "AR" if language == "es" else None)
    for n in (0, 1, 2, 21, 1000, 1234567):
        assert fmt.number(n) == format_decimal(n, locale=fmt.locale)
    # A category without a form of its own (CLDR's "many" for a million in es/pt) takes the plural.
    assert fmt.plural(1_000_000, ("factura", "facturas")) == "facturas"
    assert fmt.plural(1, {"one": "fatura", "other": "faturas"}) == "fatura"


def test_the_plural_filters_and_the_sentence_filter_are_usable_in_a_tenant_template():
    source = (
        "{{ overdue_count | counted('factura vencida', 'facturas vencidas') }} "
        "{{ triggered_count | plural('vence', 'vencen') }}. {{ company.name | sentence }}"
    )
    assert check(source) == []
    ctx = build_context(position(), TENANT, language="es", today=TODAY)
    assert render(source, ctx) == "3 facturas vencidas vence. Lácteos del Plata S.A."


def test_a_message_is_about_the_invoices_that_triggered_it_not_the_whole_position():
    """The timeline links a reminder to the invoices that reached a step; a communication that marks none (the
    'could not reach' email) is about every invoice it lists."""
    reminder = communication()
    first = reminder.invoices[0]
    lines = [first.model_copy(update={"invoice_id": uuid.uuid4(), "triggered": i == 1}) for i in range(3)]
    assert invoices_about(reminder.model_copy(update={"invoices": lines})) == [lines[1].invoice_id]
    assert invoices_about(reminder) == [first.invoice_id]
