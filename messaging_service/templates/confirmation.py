"""The shipped confirmation templates (issue 17): what the customer just did on their page, said back to them.

The portal sends ``kind = confirmation`` with ``data.action`` (``promise``, ``payment_reported``, ``dispute``,
``call_requested``, ``plan_requested``) and the action's details already formatted in the customer's language
(the keys are listed on ``CommunicationKind``). Each message says what was recorded, what happens next (a promise
or a reported payment pauses the reminders of those invoices; a dispute goes to the area that answers it; a call
or a plan is a person's task), names the request and links back to the page. Same words in every tone: the
customer asked for it. Seed 002: always say who writes.
"""

from collections.abc import Callable

from messaging_service.templates.texts import labels

ACTIONS = ("promise", "payment_reported", "dispute", "call_requested", "plan_requested")
OTHER = "other"

Phrases = dict[str, str]  # one action's words in one language: ``subject``, ``said``, ``next``, ``short``, joiners


def value(key: str) -> str:
    return f"{{{{ data.get('{key}') }}}}"


def detail(key: str, before: str, after: str = "") -> str:
    """``before`` the action's detail ``after``, only when the portal sent it."""
    return f"{{% if data.get('{key}') %}}{before}{value(key)}{after}{{% endif %}}"


INVOICES = detail("invoice_numbers", " (", ")")

# The email's sentence of each action, the same in every language: what was recorded, its details (each only when
# the portal sent it), what happens next.
BODY: dict[str, Callable[[Phrases], str]] = {
    "promise": lambda p: f"{p['said']}{detail('amount', ' ')}{p['on']}{value('promised_date')}{INVOICES}. {p['next']}",
    "payment_reported": lambda p: (
        p["said"]
        + detail("amount", p["for"])
        + detail("paid_on", p["of"])
        + detail("reference", p["reference"])
        + f"{INVOICES}. {p['next']}"
    ),
    "dispute": lambda p: f"{p['said']}{INVOICES}{detail('reason', ': ')}. {p['next']}",
    "call_requested": lambda p: f"{p['said']}{detail('call_at', p['on'])}{detail('phone', p['at'])}. {p['next']}",
    "plan_requested": lambda p: (
        p["said"] + detail("installments", p["in"], p["installments"]) + f"{detail('amount', p['for'])}. {p['next']}"
    ),
    OTHER: lambda p: p["said"],
}
# The SMS / WhatsApp sentence where it carries a detail (the others are their ``short`` phrase alone).
SHORT: dict[str, Callable[[Phrases], str]] = {
    "promise": lambda p: f"{p['short']} {value('promised_date')}.",
    "payment_reported": lambda p: f"{p['short']}{detail('amount', p['for'])}{p['short_next']}",
    "call_requested": lambda p: f"{p['short']}{detail('call_at', p['short_on'])}.",
}

# PHRASES[language][action]: the words BODY and SHORT put together, and the subject (before the company's name).
PHRASES: dict[str, dict[str, Phrases]] = {
    "es": {
        "promise": {
            "subject": "Confirmamos su promesa de pago",
            "said": "Registramos su compromiso de pagar",
            "on": " el ",
            "next": "Hasta esa fecha no le enviaremos recordatorios por esas facturas.",
            "short": "registramos su promesa de pago para el",
        },
        "payment_reported": {
            "subject": "Recibimos su aviso de pago",
            "said": "Recibimos su aviso de pago",
            "for": " por ",
            "of": " del ",
            "reference": ", referencia ",
            "next": "Lo verificaremos y aplicaremos a su cuenta; mientras tanto no le reclamaremos esas facturas.",
            "short": "recibimos su aviso de pago",
            "short_next": "; lo verificaremos.",
        },
        "dispute": {
            "subject": "Recibimos su reclamo",
            "said": "Recibimos su reclamo",
            "next": "Lo derivamos al área que corresponde, que le responderá a la brevedad; mientras se revisa no le "
            "reclamaremos esa factura.",
            "short": "recibimos su reclamo; le responderemos a la brevedad.",
        },
        "call_requested": {
            "subject": "Recibimos su pedido de llamada",
            "said": "Recibimos su pedido de que le llamemos",
            "on": " el ",
            "at": " al ",
            "next": "Una persona de nuestro equipo se comunicará con usted.",
            "short": "recibimos su pedido de llamada",
            "short_on": " para el ",
        },
        "plan_requested": {
            "subject": "Recibimos su solicitud de plan de pagos",
            "said": "Recibimos su solicitud de un plan de pagos",
            "in": " en ",
            "installments": " cuotas",
            "for": " por ",
            "next": "La revisaremos y le responderemos con nuestra propuesta.",
            "short": "recibimos su solicitud de plan de pagos; le responderemos.",
        },
        OTHER: {
            "subject": "Recibimos su solicitud",
            "said": "Recibimos su solicitud desde su página de cuenta y le responderemos a la brevedad.",
            "short": "recibimos su solicitud.",
        },
    },
    "en": {
        "promise": {
            "subject": "Your promise to pay is confirmed",
            "said": "We recorded your commitment to pay",
            "on": " on ",
            "next": "Until then we will send you no reminders about those invoices.",
            "short": "we recorded your promise to pay on",
        },
        "payment_reported": {
            "subject": "We received your payment notice",
            "said": "We received your payment notice",
            "for": " for ",
            "of": " of ",
            "reference": ", reference ",
            "next": "We will verify it and apply it to your account; meanwhile we will not ask you for those invoices.",
            "short": "we received your payment notice",
            "short_next": "; we will verify it.",
        },
        "dispute": {
            "subject": "We received your dispute",
            "said": "We received your dispute",
            "next": "We passed it to the team in charge, who will answer you shortly; while it is reviewed we will not "
            "ask you for that invoice.",
            "short": "we received your dispute; we will answer you shortly.",
        },
        "call_requested": {
            "subject": "We received your call request",
            "said": "We received your request for a call",
            "on": " on ",
            "at": " at ",
            "next": "A member of our team will call you.",
            "short": "we received your call request",
            "short_on": " for ",
        },
        "plan_requested": {
            "subject": "We received your payment plan request",
            "said": "We received your request for a payment plan",
            "in": " in ",
            "installments": " installments",
            "for": " for ",
            "next": "We will review it and answer you with our proposal.",
            "short": "we received your payment plan request; we will answer you.",
        },
        OTHER: {
            "subject": "We received your request",
            "said": "We received your request from your account page and will answer you shortly.",
            "short": "we received your request.",
        },
    },
    "pt": {
        "promise": {
            "subject": "Confirmamos sua promessa de pagamento",
            "said": "Registramos seu compromisso de pagar",
            "on": " em ",
            "next": "Até essa data não enviaremos lembretes sobre essas faturas.",
            "short": "registramos sua promessa de pagamento para",
        },
        "payment_reported": {
            "subject": "Recebemos seu aviso de pagamento",
            "said": "Recebemos seu aviso de pagamento",
            "for": " de ",
            "of": " em ",
            "reference": ", referência ",
            "next": "Vamos verificá-lo e aplicá-lo à sua conta; enquanto isso não cobraremos essas faturas.",
            "short": "recebemos seu aviso de pagamento",
            "short_next": "; vamos verificá-lo.",
        },
        "dispute": {
            "subject": "Recebemos sua contestação",
            "said": "Recebemos sua contestação",
            "next": "Encaminhamos à área responsável, que responderá em breve; enquanto é analisada não cobraremos "
            "essa fatura.",
            "short": "recebemos sua contestação; responderemos em breve.",
        },
        "call_requested": {
            "subject": "Recebemos seu pedido de ligação",
            "said": "Recebemos seu pedido de ligação",
            "on": " para ",
            "at": " no ",
            "next": "Uma pessoa da nossa equipe entrará em contato.",
            "short": "recebemos seu pedido de ligação",
            "short_on": " para ",
        },
        "plan_requested": {
            "subject": "Recebemos sua solicitação de parcelamento",
            "said": "Recebemos sua solicitação de parcelamento",
            "in": " em ",
            "installments": " parcelas",
            "for": " de ",
            "next": "Vamos analisá-la e responder com nossa proposta.",
            "short": "recebemos sua solicitação de parcelamento; responderemos.",
        },
        OTHER: {
            "subject": "Recebemos sua solicitação",
            "said": "Recebemos sua solicitação pela página da sua conta e responderemos em breve.",
            "short": "recebemos sua solicitação.",
        },
    },
}
# The words around the sentence: the request's number, the link to the page, the thanks.
WORDS: dict[str, dict[str, str]] = {
    "es": {"code": "Número de solicitud", "page": "Ver su cuenta", "thanks": "Gracias por avisarnos."},
    "en": {"code": "Request number", "page": "See your account", "thanks": "Thank you for letting us know."},
    "pt": {"code": "Número da solicitação", "page": "Ver sua conta", "thanks": "Obrigado por nos avisar."},
}


def sentences(language: str) -> dict[str, dict[str, str]]:
    """``{part: {action: source}}`` in ``language``: the subject, the email's sentence, the short sentence."""
    phrases = PHRASES[language]
    actions = (*ACTIONS, OTHER)
    return {
        "subject": {a: f"{phrases[a]['subject']} - {{{{ company.name }}}}" for a in actions},
        "body": {a: BODY[a](phrases[a]) for a in actions},
        "short": {a: SHORT[a](phrases[a]) if a in SHORT else phrases[a]["short"] for a in actions},
    }


TEXTS = {language: sentences(language) for language in PHRASES}

LINK = "portal_link or portal_url"


def by_action(texts: dict[str, str]) -> str:
    """One source that says the sentence of ``data.action`` (or the general one, for an action it does not know)."""
    branches = "".join(
        f"{{% {'if' if i == 0 else 'elif'} data.get('action') == '{action}' %}}{texts[action]}"
        for i, action in enumerate(ACTIONS)
    )
    return f"{branches}{{% else %}}{texts[OTHER]}{{% endif +%}}"


def subject(language: str) -> str:
    return by_action(TEXTS[language]["subject"])


def email_text(language: str) -> str:
    words, common = WORDS[language], labels(language)
    return (
        f"{common['greeting']} {{{{ recipient_name }}}}:\n\n{by_action(TEXTS[language]['body'])}\n"
        f"{{% if data.get('reference_code') %}}\n\n{words['code']}: {{{{ data.get('reference_code') }}}}\n"
        "{% endif %}\n"
        f"{{% if {LINK} %}}\n\n{words['page']}: {{{{ {LINK} }}}}\n{{% endif %}}\n"
        f"\n{words['thanks']}\n\n{common['regards']}\n"
        f"{{{{ collections.department or '{common['collections']}' }}}} · {{{{ company.name }}}}\n"
        "{% if collections.phone %}{{ collections.phone }}\n{% endif %}"
        "{% if collections.email %}{{ collections.email }}\n{% endif %}"
    )


def email_html(language: str) -> str:
    words, common = WORDS[language], labels(language)
    return (
        '<!DOCTYPE html>\n<html lang="{{ language }}">\n<head><meta charset="utf-8"><title>'
        f"{subject(language)}</title></head>\n"
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222;line-height:1.5">\n'
        f"<p>{common['greeting']} {{{{ recipient_name }}}}:</p>\n<p>{by_action(TEXTS[language]['body'])}</p>\n"
        f"{{% if data.get('reference_code') %}}<p>{words['code']}: "
        "<strong>{{ data.get('reference_code') }}</strong></p>{% endif %}\n"
        f'{{% if {LINK} %}}<p><a href="{{{{ {LINK} }}}}">{words["page"]}</a></p>{{% endif %}}\n'
        f"<p>{words['thanks']}</p>\n<p>{common['regards']}</p>\n"
        f"<p>{{{{ collections.department or '{common['collections']}' }}}} · {{{{ company.name }}}}"
        "{% if collections.phone %}<br>{{ collections.phone }}{% endif %}"
        '{% if collections.email %}<br><a href="mailto:{{ collections.email }}">{{ collections.email }}</a>'
        "{% endif %}</p>\n</body>\n</html>\n"
    )


def short(language: str) -> str:
    """The SMS: the company, what was recorded, the page; kept to the point (one link, no contacts)."""
    return (
        f"{{{{ company.name }}}}: {by_action(TEXTS[language]['short'])}"
        f"{{% if {LINK} %}} {WORDS[language]['page']}: {{{{ {LINK} }}}}{{% endif %}}"
        f" {labels(language)['sms_stop']}"
    )


def whatsapp_text(language: str) -> str:
    """The approved template's body as the customer reads it."""
    return (
        f"{labels(language)['hello']} {{{{ recipient_name }}}}. {{{{ company.name }}}}: "
        f"{by_action(TEXTS[language]['short'])}{{% if {LINK} %}} {{{{ {LINK} }}}}{{% endif %}}"
    )


def whatsapp_parameters(language: str) -> tuple[str, ...]:
    """The approved template's variables {{1}}..{{3}}: who, what was recorded (by the company), where to look."""
    return (
        "{{ recipient_name }}",
        f"{{{{ company.name }}}}: {by_action(TEXTS[language]['short'])}",
        f"{{{{ {LINK} or company.name }}}}",
    )
