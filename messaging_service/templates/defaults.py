"""The shipped templates: every kind, tone, channel and language, built from ``texts`` and two email layouts.

A default is a complete template source (nothing hidden): a tenant can copy it from ``GET /v1/templates/defaults``
and override it. The customer layout follows seed 004's model email section by section; the internal layout
(alarm digests) is a plain list for the collections team; confirmations (what the customer did on the portal,
issue 17) have their own short layout (``confirmation``). Every message to a customer links to the customer's own
page: ``portal_link`` (a new link per message while the tenant's portal is on), else the tenant's ``portal_url``.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from messaging_service.templates import confirmation
from messaging_service.templates.charges import CHARGES_SHORT, CHARGES_TABLE_HTML, CHARGES_TEXT
from messaging_service.templates.texts import labels, phrase
from shared.contracts.common import Channel
from shared.contracts.messaging import CommunicationKind

LANGUAGES = ("es", "en", "pt")
TONES = (1, 2, 3)
# WhatsApp language codes of the approved templates (the Cloud API wants the exact code they were approved in).
WHATSAPP_LANGUAGES = {"es": "es", "en": "en_US", "pt": "pt_BR"}


@dataclass(frozen=True)
class TemplateSource:
    """A template's sources, as a tenant's stored template or a shipped default."""

    kind: str
    channel: str
    language: str
    tone: int
    name: str
    subject: str | None
    body_text: str
    body_html: str | None = None
    whatsapp_template: str | None = None
    whatsapp_language: str | None = None
    whatsapp_parameters: tuple[str, ...] = field(default_factory=tuple)
    ref: str = ""
    # A tenant's template: the tenant's partials (name -> source), what it may include or import.
    partials: Mapping[str, str] = field(default_factory=dict)


INVOICE_TABLE_HTML = """\
{% if invoices %}
<table cellpadding="6" cellspacing="0" border="1" style="border-collapse:collapse;border-color:#ddd;font-size:13px">
<thead style="background:#f3f3f3"><tr><th align="left">[[invoice]]</th><th>[[issued]]</th><th>[[due]]</th>\
<th>[[days]]</th><th align="right">[[amount]]</th><th align="right">[[open]]</th></tr></thead>
<tbody>
{% for invoice in invoices %}
<tr><td>{% if invoice.document_url %}<a href="{{ invoice.document_url }}">{{ invoice.number }}</a>\
{% else %}{{ invoice.number }}{% endif %}</td><td>{{ invoice.issue_date }}</td><td>{{ invoice.due_date }}</td>\
<td align="center">{{ invoice.days_overdue if invoice.overdue else '-' }}</td>\
<td align="right">{{ invoice.amount }}</td><td align="right">{{ invoice.open_amount }}</td></tr>
{% endfor %}
</tbody>
<tfoot>
{% for amount in totals %}
<tr><td colspan="5" align="right"><strong>[[total]] {{ amount.currency }}</strong></td>\
<td align="right"><strong>{{ amount }}</strong></td></tr>
{% endfor %}
</tfoot>
</table>
{% endif %}
"""

# The customer's position (issue 12): every open invoice, the ones that caused the message in bold, the paused ones
# greyed with their status; below, the credits, what is asked for now and the whole balance.
POSITION_TABLE_HTML = """\
{% if invoices %}
<table cellpadding="6" cellspacing="0" border="1" style="border-collapse:collapse;border-color:#ddd;font-size:13px">
<thead style="background:#f3f3f3"><tr><th align="left">[[invoice]]</th><th>[[issued]]</th><th>[[due]]</th>\
<th>[[days]]</th><th align="right">[[amount]]</th><th align="right">[[open]]</th><th align="left">[[status]]</th></tr>\
</thead>
<tbody>
{% for invoice in invoices %}
<tr{% if invoice.paused %} style="color:#777"{% endif %}><td>{% if invoice.triggered %}<strong>{% endif %}\
{% if invoice.document_url %}<a href="{{ invoice.document_url }}">{{ invoice.number }}</a>\
{% else %}{{ invoice.number }}{% endif %}{% if invoice.triggered %}</strong>{% endif %}</td>\
<td>{{ invoice.issue_date }}</td><td>{{ invoice.due_date }}</td>\
<td align="center">{{ invoice.days_overdue if invoice.overdue else '-' }}</td>\
<td align="right">{{ invoice.amount }}</td><td align="right">{{ invoice.open_amount }}</td>\
<td>{{ invoice.status_text }}</td></tr>
{% endfor %}
</tbody>
<tfoot>
{% for amount in credits %}
<tr><td colspan="5" align="right">[[credit]] {{ amount.currency }}</td><td align="right">-{{ amount }}</td>\
<td></td></tr>
{% endfor %}
{% for amount in totals %}
<tr><td colspan="5" align="right"><strong>[[total_overdue]] {{ amount.currency }}</strong></td>\
<td align="right"><strong>{{ amount }}</strong></td><td></td></tr>
{% endfor %}
{% if upcoming_count or not totals %}
{% for amount in open_totals %}
<tr><td colspan="5" align="right">[[total_open]] {{ amount.currency }}</td><td align="right">{{ amount }}</td>\
<td></td></tr>
{% endfor %}
{% endif %}
</tfoot>
</table>
{% endif %}
"""

CUSTOMER_HTML = (
    """\
<!DOCTYPE html>
<html lang="{{ language }}">
<head><meta charset="utf-8"><title>[[SUBJECT]]</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222;line-height:1.5">
<p>[[greeting]] {{ recipient_name }}:</p>
<p>[[from_company]] <strong>{{ company.name | sentence }}</strong></p>
<p>[[SITUATION]]</p>
<p><strong>[[ACTION]]</strong></p>
"""
    + POSITION_TABLE_HTML
    + CHARGES_TABLE_HTML
    + """\
{% if statement_attached %}
<p>[[attached]]</p>
{% endif %}
{% if portal_link or portal_url %}
<p><a href="{{ portal_link or portal_url }}">[[portal]]</a></p>
{% endif %}
{% if payment_instructions %}
<h3 style="font-size:15px">[[how_to_pay]]</h3>
<ul>
{% for line in payment_instructions %}
<li>{{ line }}</li>
{% endfor %}
</ul>
{% endif %}
<h3 style="font-size:15px">[[notify]]</h3>
<p>[[notify_intro]]</p>
<ul>
{% for item in payment_notification.fields %}
<li>{{ item }}</li>
{% endfor %}
</ul>
{% if payment_notification.email or payment_notification.fax or payment_notification.phone %}
<p>[[send_to]]:{% if payment_notification.email %} <a href="mailto:{{ payment_notification.email }}">\
{{ payment_notification.email }}</a>{% endif %}{% if payment_notification.fax %} · Fax {{ payment_notification.fax }}\
{% endif %}{% if payment_notification.phone %} · [[office]] {{ payment_notification.phone }}{% endif %}</p>
{% endif %}
{% if advisor or supervisor %}
<h3 style="font-size:15px">[[contacts]]</h3>
<ul>
{% if advisor %}
<li>[[advisor]]: {{ advisor.name }}{% if advisor.phone %} · {{ advisor.phone }}{% endif %}\
{% if advisor.email %} · <a href="mailto:{{ advisor.email }}">{{ advisor.email }}</a>{% endif %}\
{% if advisor.whatsapp_link %} · <a href="{{ advisor.whatsapp_link }}">[[write_whatsapp]]</a>{% endif %}</li>
{% endif %}
{% if supervisor %}
<li>[[supervisor]]: {{ supervisor.name }}{% if supervisor.phone %} · {{ supervisor.phone }}{% endif %}\
{% if supervisor.whatsapp_link %} · <a href="{{ supervisor.whatsapp_link }}">[[write_whatsapp]]</a>{% endif %}</li>
{% endif %}
</ul>
{% endif %}
<p>[[CLOSING]]</p>
<p>[[regards]]</p>
<p>{% if collections.name %}{{ collections.name }}<br>{% endif %}\
{{ collections.department or '[[collections]]' }} · {{ company.name }}\
{% if collections.phone %}<br>{{ collections.phone }}{% endif %}\
{% if collections.email %}<br><a href="mailto:{{ collections.email }}">{{ collections.email }}</a>{% endif %}\
{% if collections.whatsapp_link %}<br><a href="{{ collections.whatsapp_link }}">[[write_whatsapp]]</a>{% endif %}</p>
{% if unsubscribe_url %}
<p style="font-size:11px;color:#888"><a href="{{ unsubscribe_url }}" style="color:#888">[[unsubscribe]]</a></p>
{% endif %}
</body>
</html>
"""
)

CUSTOMER_TEXT = (
    """\
[[greeting]] {{ recipient_name }}:

[[from_company]] {{ company.name | sentence }}

[[SITUATION]]

[[ACTION]]
{% if invoices %}

{% for invoice in invoices %}
- [[invoice]] {{ invoice.number }} · [[due]] {{ invoice.due_date }}\
{% if invoice.overdue %} · {{ invoice.days_overdue | counted('[[day_late]]', '[[days_late]]') }}{% endif %}\
 · [[open]] {{ invoice.open_amount }}{{ ' · ' ~ invoice.status_text if invoice.status_text else '' }}
{% endfor %}
{% for amount in credits %}
[[credit]] {{ amount.currency }}: -{{ amount }}
{% endfor %}
{% for amount in totals %}
[[total_overdue]] {{ amount.currency }}: {{ amount }}
{% endfor %}
{% if upcoming_count or not totals %}
{% for amount in open_totals %}
[[total_open]] {{ amount.currency }}: {{ amount }}
{% endfor %}
{% endif %}
{% endif %}
"""
    + CHARGES_TEXT
    + """\
{% if statement_attached %}

[[attached]]
{% endif %}
{% if portal_link or portal_url %}

[[portal]]: {{ portal_link or portal_url }}
{% endif %}
{% if payment_instructions %}

[[how_to_pay]]
{% for line in payment_instructions %}
- {{ line }}
{% endfor %}
{% endif %}

[[notify]]
[[notify_intro]]
{% for item in payment_notification.fields %}
- {{ item }}
{% endfor %}
{% if payment_notification.email or payment_notification.fax or payment_notification.phone %}
[[send_to]]:{% if payment_notification.email %} {{ payment_notification.email }}{% endif %}\
{% if payment_notification.fax %} · Fax {{ payment_notification.fax }}{% endif %}\
{% if payment_notification.phone %} · [[office]] {{ payment_notification.phone }}{% endif %}

{% endif %}
{% if advisor or supervisor %}

{% endif %}
{% if advisor %}
[[advisor]]: {{ advisor.name }}{% if advisor.phone %} · {{ advisor.phone }}{% endif %}\
{% if advisor.whatsapp_link %} · WhatsApp {{ advisor.whatsapp_link }}{% endif %}

{% endif %}
{% if supervisor %}
[[supervisor]]: {{ supervisor.name }}{% if supervisor.phone %} · {{ supervisor.phone }}{% endif %}\
{% if supervisor.whatsapp_link %} · WhatsApp {{ supervisor.whatsapp_link }}{% endif %}

{% endif %}

[[CLOSING]]

[[regards]]
{% if collections.name %}
{{ collections.name }}
{% endif %}
{{ collections.department or '[[collections]]' }} · {{ company.name }}
{% if collections.phone %}
{{ collections.phone }}
{% endif %}
{% if collections.email %}
{{ collections.email }}
{% endif %}
{% if unsubscribe_url %}

[[unsubscribe]]: {{ unsubscribe_url }}
{% endif %}
"""
)

DIGEST_HTML = (
    """\
<!DOCTYPE html>
<html lang="{{ language }}">
<head><meta charset="utf-8"><title>[[SUBJECT]]</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222;line-height:1.5">
<p>{{ recipient_name }}:</p>
<p>[[SITUATION]]</p>
{% if data.get('lines') %}
<ul>
{% for line in data.get('lines') %}
<li>{{ line }}</li>
{% endfor %}
</ul>
{% endif %}
"""
    + INVOICE_TABLE_HTML
    + """\
<p>[[ACTION]]</p>
<p>{{ company.name }}</p>
</body>
</html>
"""
)

DIGEST_TEXT = """\
{{ recipient_name }}:

[[SITUATION]]
{% if data.get('lines') %}

{% for line in data.get('lines') %}
- {{ line }}
{% endfor %}
{% endif %}
{% if invoices %}

{% for invoice in invoices %}
- [[invoice]] {{ invoice.number }} · [[due]] {{ invoice.due_date }} · [[open]] {{ invoice.open_amount }}
{% endfor %}
{% endif %}

[[ACTION]]

{{ company.name }}
"""

# Short: with a link to the customer's page (which lists every way to reach collections) no contact is added.
SMS_TEXT = (
    "[[SHORT]]" + CHARGES_SHORT + "{% if portal_link or portal_url %} [[sms_pay]] {{ portal_link or portal_url }}"
    "{% elif advisor and advisor.whatsapp_link %} [[sms_ask]]: {{ advisor.whatsapp_link }}"
    "{% elif collections.phone %} [[sms_ask]]: {{ collections.phone }}{% endif %}"
    "{% if kind != 'alarm_digest' %} [[sms_stop]]{% endif %}"
)

# The body of the approved WhatsApp template, as the customer reads it; its variables are the parameters below.
# Open late charges (issue 19) are one more sentence of the text (a session message, a preview); the approved
# template's parameters stay the five below (adding one means approving the template again at Meta).
WHATSAPP_TEXT = (
    "[[hello]] {{ recipient_name }}. [[SHORT]]" + CHARGES_SHORT + "{% if portal_link or portal_url %} [[sms_pay]]: "
    "{{ portal_link or portal_url }}{% endif %}"
)
# The approved template's variables {{1}}..{{5}}: who, from whom, how much (what falls due, before the due date),
# how late (or when due), where to go.
WHATSAPP_PARAMETERS = (
    "{{ recipient_name }}",
    "{{ company.name }}",
    "{{ (triggered_total if kind in ('new_invoice', 'pre_due') else total) or '-' }}",
    "{{ due_date if kind in ('new_invoice', 'pre_due') and due_date else "
    "(days_overdue_text if oldest_days_overdue else (due_date if due_date else '-')) }}",
    "{{ portal_link or portal_url or (advisor.whatsapp_link if advisor and advisor.whatsapp_link else '') "
    "or collections.phone or company.name }}",
)


def _fill(source: str, language: str, kind: str, tone: int, subject: str) -> str:
    _, situation, action, closing, short = phrase(language, kind, tone)
    text = (
        source.replace("[[SUBJECT]]", subject)
        .replace("[[SITUATION]]", situation)
        .replace("[[ACTION]]", action)
        .replace("[[CLOSING]]", closing)
        .replace("[[SHORT]]", short)
    )
    for key, value in labels(language).items():
        if not key.startswith("%"):
            text = text.replace(f"[[{key}]]", value)
    return text


def build_default(kind: str, channel: str, language: str, tone: int) -> TemplateSource:
    if kind == CommunicationKind.CONFIRMATION:
        return _confirmation(channel, language, tone)
    subject, *_ = phrase(language, kind, tone)
    internal = kind == CommunicationKind.ALARM_DIGEST
    if channel == Channel.EMAIL:
        html = _fill(DIGEST_HTML if internal else CUSTOMER_HTML, language, kind, tone, subject)
        text = _fill(DIGEST_TEXT if internal else CUSTOMER_TEXT, language, kind, tone, subject)
        return _source(kind, channel, language, tone, text, subject=subject, html=html)
    if channel == Channel.SMS:
        return _source(kind, channel, language, tone, _fill(SMS_TEXT, language, kind, tone, ""))
    text = _fill(WHATSAPP_TEXT, language, kind, tone, "")
    return _source(kind, channel, language, tone, text, whatsapp=(f"cobranza_{kind}_{tone}", WHATSAPP_PARAMETERS))


def _confirmation(channel: str, language: str, tone: int) -> TemplateSource:
    """The same words in every tone: the customer asked for it."""
    kind = CommunicationKind.CONFIRMATION.value
    if channel == Channel.EMAIL:
        text, html = confirmation.email_text(language), confirmation.email_html(language)
        return _source(kind, channel, language, tone, text, subject=confirmation.subject(language), html=html)
    if channel == Channel.SMS:
        return _source(kind, channel, language, tone, confirmation.short(language))
    whatsapp = (f"cobranza_{kind}", confirmation.whatsapp_parameters(language))
    return _source(kind, channel, language, tone, confirmation.whatsapp_text(language), whatsapp=whatsapp)


def _source(
    kind: str,
    channel: str,
    language: str,
    tone: int,
    text: str,
    *,
    subject: str | None = None,
    html: str | None = None,
    whatsapp: tuple[str, tuple[str, ...]] | None = None,
) -> TemplateSource:
    """A shipped template: its name and ref say what it is; WhatsApp's carries the approved template's name and
    parameters."""
    name, parameters = whatsapp or (None, ())
    return TemplateSource(
        kind,
        channel,
        language,
        tone,
        f"{kind} {channel} {language} tone {tone} (default)",
        subject=subject,
        body_text=text,
        body_html=html,
        whatsapp_template=name,
        whatsapp_language=WHATSAPP_LANGUAGES[language] if whatsapp else None,
        whatsapp_parameters=parameters,
        ref=f"default:{kind}/{channel}/{language}/{tone}",
    )


@lru_cache(maxsize=1)
def all_defaults() -> dict[tuple[str, str, str, int], TemplateSource]:
    """Every shipped template by (kind, channel, language, tone)."""
    return {
        (kind.value, channel.value, language, tone): build_default(kind.value, channel.value, language, tone)
        for kind in CommunicationKind
        for channel in Channel
        for language in LANGUAGES
        for tone in TONES
    }


def default_for(kind: str, channel: str, language: str, tone: int) -> TemplateSource:
    return all_defaults()[(kind, channel, language, tone if tone in TONES else 1)]
