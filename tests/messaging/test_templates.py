"""Templates without I/O: the shipped defaults, localization, tags, sandboxing (seeds 002, 003, 004)."""

from datetime import date
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.exceptions import SecurityError, UndefinedError

from messaging_service.delivery.rendering import render_source
from messaging_service.templates.checks import check
from messaging_service.templates.context import TenantView, build_context, tone_for
from messaging_service.templates.defaults import LANGUAGES, TONES, all_defaults
from messaging_service.templates.engine import render
from messaging_service.templates.formatting import formatter
from messaging_service.templates.samples import SAMPLE_PROFILE, sample_communication
from shared.contracts.common import Channel
from shared.contracts.messaging import CommunicationKind
from shared.words import whatsapp_link

TENANT = TenantView(name="Nimbox Dominicana", country="DO", timezone="America/Santo_Domingo", profile=SAMPLE_PROFILE)
TODAY = date(2026, 11, 23)


def context(kind: CommunicationKind, language: str, channel: str = "email") -> dict:
    communication = sample_communication(date.today(), kind, language, channel)
    return build_context(communication, TENANT, language=language, today=TODAY, unsubscribe_url="https://x.example/u")


def test_every_kind_tone_language_and_channel_has_a_default():
    assert len(all_defaults()) == len(CommunicationKind) * len(Channel) * len(LANGUAGES) * len(TONES)


@pytest.mark.parametrize("language", LANGUAGES)
# A confirmation answers the customer's own action (issue 17): tests/messaging/test_confirmation.py reads it.
@pytest.mark.parametrize("kind", [k for k in CommunicationKind if k is not CommunicationKind.CONFIRMATION])
@pytest.mark.parametrize("tone", TONES)
def test_seed_004_every_shipped_email_renders_and_its_subject_names_company_and_urgency(kind, language, tone):
    """Seed 004, principle 1: "Recordatorio de Pago [empresa] (84 días de atraso)" - company and urgency."""
    ctx = context(kind, language)
    for channel in Channel:
        rendered = render_source(all_defaults()[(kind.value, channel.value, language, tone)], channel.value, ctx)
        assert rendered.body_text.strip()
        if channel is Channel.EMAIL:
            assert "Nimbox Dominicana" in rendered.subject
            amount = {"es": "US$ 123.427,72", "en": "$123,427.72", "pt": "US$ 123.427,72"}[language]
            days = {"es": "84 días", "en": "84 days", "pt": "84 dias"}[language]
            if kind in (CommunicationKind.NEW_INVOICE, CommunicationKind.PRE_DUE):
                # Before the due date the subject names what falls due (the invoice that caused the message).
                amount = {"es": "US$ 100.000,00", "en": "$100,000.00", "pt": "US$ 100.000,00"}[language]
            assert amount in rendered.subject or days in rendered.subject, rendered.subject
            if kind in (CommunicationKind.OVERDUE, CommunicationKind.ACTION_NOTICE):
                # Issue 12: the overdue total and the oldest days overdue, in every tone.
                assert amount in rendered.subject and days in rendered.subject, rendered.subject
            assert rendered.body_html
            assert "<table" in rendered.body_html
        if channel is Channel.WHATSAPP:
            assert rendered.whatsapp["name"] == f"cobranza_{kind.value}_{tone}"
            assert all(p.strip() for p in rendered.whatsapp["parameters"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_seed_004_the_customer_email_follows_the_eight_principles(language):
    ctx = context(CommunicationKind.OVERDUE, language)
    text = render_source(all_defaults()[("overdue", "email", language, 2)], "email", ctx).body_text
    assert "Nimbox Dominicana" in text  # 2: who collects
    assert "A-3212" in text
    assert "A-3307" in text
    assert "Banco Mercantil: 0105-0091-58-1094324268" in text  # 5: how to pay
    assert {"es": "Monto del pago", "en": "Amount paid", "pt": "Valor do pagamento"}[language] in text  # 6
    assert "afiguera@empresa.example" in text
    assert "+1(829)412-3122" in text
    assert "https://wa.me/5491155550001" in text  # seed 002: the advisor's click-to-chat link


def test_seed_004_tone_follows_the_age_of_the_debt():
    texts = [
        render_source(
            all_defaults()[("overdue", "email", "es", tone)], "email", context(CommunicationKind.OVERDUE, "es")
        )
        for tone in TONES
    ]
    assert "le recordamos" in texts[0].body_text.lower() or "necesitamos confirmación" in texts[0].body_text.lower()
    assert "estamos preocupados" in texts[1].body_text.lower()
    assert texts[2].subject.startswith("Aviso de cobro")


def test_tone_by_age_when_the_command_gives_none():
    def tone(days: int, kind: str = "overdue") -> int:
        communication = sample_communication(date.today(), CommunicationKind(kind)).model_copy(
            update={"tone": None, "oldest_days_overdue": days}
        )
        return tone_for(communication)

    assert [tone(3), tone(30), tone(84), tone(0, "pre_due"), tone(84, "action_notice")] == [1, 2, 3, 1, 3]


@pytest.mark.parametrize(
    ("language", "country", "currency", "expected"),
    [
        ("es", None, "USD", "US$ 123.427,72"),
        ("en", None, "USD", "$123,427.72"),
        ("pt", "BR", "BRL", "R$ 123.427,72"),
        ("es", "AR", "ARS", "$ 123.427,72"),
        ("es", "CL", "CLP", "$ 123.428"),
        ("en", "US", "EUR", "€123,427.72"),
    ],
)
def test_money_is_localized_with_babel(language, country, currency, expected):
    assert formatter(language, country).money(Decimal("123427.72"), currency).text == expected


def test_dates_are_localized():
    assert formatter("es", "AR").date(date(2026, 8, 31)).text == "31/08/2026"
    assert formatter("en", "US").date(date(2026, 8, 31)).text == "08/31/2026"
    assert formatter("es", None).date(date(2026, 8, 31)).long == "31 de agosto de 2026"


def test_totals_are_never_added_across_currencies():
    """A communication without the position (an older producer: no invoice marked triggered) sums its invoices."""
    communication = sample_communication(date.today()).model_copy(update={"totals": [], "open_totals": []})
    lines = [
        communication.invoices[0].model_copy(update={"triggered": False}),
        communication.invoices[1].model_copy(
            update={"currency": "ARS", "open_amount": Decimal("35000"), "triggered": False}
        ),
    ]
    ctx = build_context(communication.model_copy(update={"invoices": lines}), TENANT, language="es", today=TODAY)
    assert ctx["total"] == "$ 35.000,00 y US$ 100.000,00"  # es_AR: the peso is "$"
    assert ctx["open_total"] == "$ 35.000,00 y US$ 100.000,00"
    assert ctx["triggered_count"] == 2  # without marks, every invoice caused the message


def test_seed_003_variables_are_aliases():
    """Seed 003's WhatsApp example: "Estimado {{Name}} ... deuda de $ {{ActualDebit}}", {{DueDays}}, {{DueDate}}."""
    source = "Estimado {{Name}}, deuda de {{ActualDebit}}, {{DueDays}} días en mora desde el {{DueDate}}."
    assert check(source) == []
    ctx = context(CommunicationKind.OVERDUE, "es")
    text = render(source, ctx)
    assert text.startswith("Estimado Distribuidora del Sur S.A., deuda de US$ 123.427,72, 84 días en mora desde el ")
    assert ctx["DueDate"].iso == sample_communication(date.today()).invoices[0].due_date.isoformat()


def test_seed_002_advisor_and_supervisor_tags_with_click_to_chat():
    assert whatsapp_link("+54 9 11 5555-0001") == "https://wa.me/5491155550001"
    source = "{{ advisor.name }} {{ advisor.whatsapp_link }} / {{ supervisor.name }} {{ supervisor.whatsapp_link }}"
    assert check(source) == []
    assert render(source, context(CommunicationKind.OVERDUE, "es")) == (
        "Juan Gómez https://wa.me/5491155550001 / Laura Díaz https://wa.me/5491155550002"
    )


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("Hola {{ custommer.name }}", "unknown tag 'custommer'"),
        ("Hola {{ customer.nmae }}", "unknown tag 'customer.nmae'"),
        ("{% for i in invoices %}{{ i.numbr }}{% endfor %}", "unknown tag 'i.numbr'"),
        ("{{ advisor.whatsapp_lnk }}", "unknown tag 'advisor.whatsapp_lnk'"),
        ("Hola {{ customer.name ", "syntax error at line 1"),
        ("{% if total %}sin cierre", "syntax error at line 1"),
        ("{{ total | no_such_filter }}", "No filter named 'no_such_filter'"),
    ],
)
def test_check_names_unknown_tags_and_syntax_errors(source, problem):
    problems = check(source)
    assert any(problem in p for p in problems), problems


def test_check_accepts_documented_tags_loops_and_data():
    source = (
        "{% set n = invoice_count %}{% for invoice in overdue_invoices %}{{ invoice.open_amount.currency }}"
        "{{ loop.index }}{% endfor %}{{ data.anything }}{{ payment_notification.fields | join(', ') }}{{ n }}"
        "{{ total | upper }}{{ due_date.long if due_date }}{{ 1000 | money('USD') }}"
    )
    assert check(source) == []


def test_the_sandbox_refuses_python_internals():
    with pytest.raises((SecurityError, UndefinedError)):
        render("{{ ''.__class__.__mro__ }}", {})
    with pytest.raises(UndefinedError):
        render("{{ customer.nothing }}", context(CommunicationKind.OVERDUE, "es"))


def test_html_is_escaped_in_html_bodies_only():
    communication = sample_communication(date.today()).model_copy(update={"recipient_name": "<b>Ana</b>"})
    ctx = build_context(communication, TENANT, language="es", today=TODAY)
    assert render("{{ recipient_name }}", ctx, html=True) == "&lt;b&gt;Ana&lt;/b&gt;"
    assert render("{{ recipient_name }}", ctx) == "<b>Ana</b>"


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
    st.sampled_from(["USD", "ARS", "EUR", "CLP", "BRL", "MXN", "KWD", "JPY", "COP"]),
    st.sampled_from([("es", None), ("es", "AR"), ("es", "MX"), ("en", None), ("en", "US"), ("pt", "BR"), ("pt", None)]),
)
def test_money_matches_babel(amount, currency, place):
    """The fast path formats exactly as ``babel.numbers.format_currency`` with the same pattern."""
    fmt = formatter(*place)
    expected = format_currency(amount, currency, format=fmt.pattern(currency), locale=fmt.locale, currency_digits=True)
    assert fmt.money(amount, currency).text == expected
