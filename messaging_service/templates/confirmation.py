"""The shipped confirmation templates (issue 17): what the customer just did on their page, said back to them.

The portal sends ``kind = confirmation`` with ``data.action`` (``promise``, ``payment_reported``, ``dispute``,
``call_requested``, ``plan_requested``) and the action's details already formatted in the customer's language
(the keys are listed on ``CommunicationKind``). Each message says what was recorded, what happens next (a promise
or a reported payment pauses the reminders of those invoices; a dispute goes to the area that answers it; a call
or a plan is a person's task), names the request and links back to the page. Same words in every tone: the
customer asked for it. Seed 002: always say who writes.
"""

from messaging_service.templates.texts import labels

ACTIONS = ("promise", "payment_reported", "dispute", "call_requested", "plan_requested")
OTHER = "other"
# One line per action's detail, reused by every language: ``{{ data.get('x') }}`` only when the portal sent it.
INVOICES = "{% if data.get('invoice_numbers') %} ({{ data.get('invoice_numbers') }}){% endif %}"

# TEXTS[language][part][action]: the subject, the email's sentence, the SMS / WhatsApp sentence.
TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "es": {
        "subject": {
            "promise": "Confirmamos su promesa de pago - {{ company.name }}",
            "payment_reported": "Recibimos su aviso de pago - {{ company.name }}",
            "dispute": "Recibimos su reclamo - {{ company.name }}",
            "call_requested": "Recibimos su pedido de llamada - {{ company.name }}",
            "plan_requested": "Recibimos su solicitud de plan de pagos - {{ company.name }}",
            OTHER: "Recibimos su solicitud - {{ company.name }}",
        },
        "body": {
            "promise": "Registramos su compromiso de pagar{% if data.get('amount') %} {{ data.get('amount') }}"
            "{% endif %} el {{ data.get('promised_date') }}" + INVOICES + ". Hasta esa fecha no le enviaremos "
            "recordatorios por esas facturas.",
            "payment_reported": "Recibimos su aviso de pago{% if data.get('amount') %} por {{ data.get('amount') }}"
            "{% endif %}{% if data.get('paid_on') %} del {{ data.get('paid_on') }}{% endif %}"
            "{% if data.get('reference') %}, referencia {{ data.get('reference') }}{% endif %}" + INVOICES + ". "
            "Lo verificaremos y aplicaremos a su cuenta; mientras tanto no le reclamaremos esas facturas.",
            "dispute": "Recibimos su reclamo" + INVOICES + "{% if data.get('reason') %}: {{ data.get('reason') }}"
            "{% endif %}. Lo derivamos al área que corresponde, que le responderá a la brevedad; mientras se "
            "revisa no le reclamaremos esa factura.",
            "call_requested": "Recibimos su pedido de que le llamemos{% if data.get('call_at') %} el "
            "{{ data.get('call_at') }}{% endif %}{% if data.get('phone') %} al {{ data.get('phone') }}{% endif %}. "
            "Una persona de nuestro equipo se comunicará con usted.",
            "plan_requested": "Recibimos su solicitud de un plan de pagos{% if data.get('installments') %} en "
            "{{ data.get('installments') }} cuotas{% endif %}{% if data.get('amount') %} por "
            "{{ data.get('amount') }}{% endif %}. La revisaremos y le responderemos con nuestra propuesta.",
            OTHER: "Recibimos su solicitud desde su página de cuenta y le responderemos a la brevedad.",
        },
        "short": {
            "promise": "registramos su promesa de pago para el {{ data.get('promised_date') }}.",
            "payment_reported": "recibimos su aviso de pago{% if data.get('amount') %} por "
            "{{ data.get('amount') }}{% endif %}; lo verificaremos.",
            "dispute": "recibimos su reclamo; le responderemos a la brevedad.",
            "call_requested": "recibimos su pedido de llamada{% if data.get('call_at') %} para el "
            "{{ data.get('call_at') }}{% endif %}.",
            "plan_requested": "recibimos su solicitud de plan de pagos; le responderemos.",
            OTHER: "recibimos su solicitud.",
        },
        "words": {"code": "Número de solicitud", "page": "Ver su cuenta", "thanks": "Gracias por avisarnos."},
    },
    "en": {
        "subject": {
            "promise": "Your promise to pay is confirmed - {{ company.name }}",
            "payment_reported": "We received your payment notice - {{ company.name }}",
            "dispute": "We received your dispute - {{ company.name }}",
            "call_requested": "We received your call request - {{ company.name }}",
            "plan_requested": "We received your payment plan request - {{ company.name }}",
            OTHER: "We received your request - {{ company.name }}",
        },
        "body": {
            "promise": "We recorded your commitment to pay{% if data.get('amount') %} {{ data.get('amount') }}"
            "{% endif %} on {{ data.get('promised_date') }}" + INVOICES + ". Until then we will send you no "
            "reminders about those invoices.",
            "payment_reported": "We received your payment notice{% if data.get('amount') %} for "
            "{{ data.get('amount') }}{% endif %}{% if data.get('paid_on') %} of {{ data.get('paid_on') }}"
            "{% endif %}{% if data.get('reference') %}, reference {{ data.get('reference') }}{% endif %}"
            + INVOICES
            + ". We will verify it and apply it to your account; meanwhile we will not ask you for those invoices.",
            "dispute": "We received your dispute" + INVOICES + "{% if data.get('reason') %}: {{ data.get('reason') }}"
            "{% endif %}. We passed it to the team in charge, who will answer you shortly; while it is reviewed "
            "we will not ask you for that invoice.",
            "call_requested": "We received your request for a call{% if data.get('call_at') %} on "
            "{{ data.get('call_at') }}{% endif %}{% if data.get('phone') %} at {{ data.get('phone') }}{% endif %}. "
            "A member of our team will call you.",
            "plan_requested": "We received your request for a payment plan{% if data.get('installments') %} in "
            "{{ data.get('installments') }} installments{% endif %}{% if data.get('amount') %} for "
            "{{ data.get('amount') }}{% endif %}. We will review it and answer you with our proposal.",
            OTHER: "We received your request from your account page and will answer you shortly.",
        },
        "short": {
            "promise": "we recorded your promise to pay on {{ data.get('promised_date') }}.",
            "payment_reported": "we received your payment notice{% if data.get('amount') %} for "
            "{{ data.get('amount') }}{% endif %}; we will verify it.",
            "dispute": "we received your dispute; we will answer you shortly.",
            "call_requested": "we received your call request{% if data.get('call_at') %} for "
            "{{ data.get('call_at') }}{% endif %}.",
            "plan_requested": "we received your payment plan request; we will answer you.",
            OTHER: "we received your request.",
        },
        "words": {"code": "Request number", "page": "See your account", "thanks": "Thank you for letting us know."},
    },
    "pt": {
        "subject": {
            "promise": "Confirmamos sua promessa de pagamento - {{ company.name }}",
            "payment_reported": "Recebemos seu aviso de pagamento - {{ company.name }}",
            "dispute": "Recebemos sua contestação - {{ company.name }}",
            "call_requested": "Recebemos seu pedido de ligação - {{ company.name }}",
            "plan_requested": "Recebemos sua solicitação de parcelamento - {{ company.name }}",
            OTHER: "Recebemos sua solicitação - {{ company.name }}",
        },
        "body": {
            "promise": "Registramos seu compromisso de pagar{% if data.get('amount') %} {{ data.get('amount') }}"
            "{% endif %} em {{ data.get('promised_date') }}" + INVOICES + ". Até essa data não enviaremos "
            "lembretes sobre essas faturas.",
            "payment_reported": "Recebemos seu aviso de pagamento{% if data.get('amount') %} de "
            "{{ data.get('amount') }}{% endif %}{% if data.get('paid_on') %} em {{ data.get('paid_on') }}"
            "{% endif %}{% if data.get('reference') %}, referência {{ data.get('reference') }}{% endif %}"
            + INVOICES
            + ". Vamos verificá-lo e aplicá-lo à sua conta; enquanto isso não cobraremos essas faturas.",
            "dispute": "Recebemos sua contestação" + INVOICES + "{% if data.get('reason') %}: "
            "{{ data.get('reason') }}{% endif %}. Encaminhamos à área responsável, que responderá em breve; "
            "enquanto é analisada não cobraremos essa fatura.",
            "call_requested": "Recebemos seu pedido de ligação{% if data.get('call_at') %} para "
            "{{ data.get('call_at') }}{% endif %}{% if data.get('phone') %} no {{ data.get('phone') }}{% endif %}. "
            "Uma pessoa da nossa equipe entrará em contato.",
            "plan_requested": "Recebemos sua solicitação de parcelamento{% if data.get('installments') %} em "
            "{{ data.get('installments') }} parcelas{% endif %}{% if data.get('amount') %} de "
            "{{ data.get('amount') }}{% endif %}. Vamos analisá-la e responder com nossa proposta.",
            OTHER: "Recebemos sua solicitação pela página da sua conta e responderemos em breve.",
        },
        "short": {
            "promise": "registramos sua promessa de pagamento para {{ data.get('promised_date') }}.",
            "payment_reported": "recebemos seu aviso de pagamento{% if data.get('amount') %} de "
            "{{ data.get('amount') }}{% endif %}; vamos verificá-lo.",
            "dispute": "recebemos sua contestação; responderemos em breve.",
            "call_requested": "recebemos seu pedido de ligação{% if data.get('call_at') %} para "
            "{{ data.get('call_at') }}{% endif %}.",
            "plan_requested": "recebemos sua solicitação de parcelamento; responderemos.",
            OTHER: "recebemos sua solicitação.",
        },
        "words": {"code": "Número da solicitação", "page": "Ver sua conta", "thanks": "Obrigado por nos avisar."},
    },
}

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
    words, common = TEXTS[language]["words"], labels(language)
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
    words, common = TEXTS[language]["words"], labels(language)
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
        f"{{% if {LINK} %}} {TEXTS[language]['words']['page']}: {{{{ {LINK} }}}}{{% endif %}}"
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
