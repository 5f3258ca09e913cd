"""Examples of messaging's request and response bodies, for the OpenAPI document (``json_schema_extra`` of the
schemas). The story of ``services.receivables.examples`` seen from messaging: the overdue reminder dunning asked for
on 2026-03-10 goes to Ferretería Los Andes by email, and the customer answers it.
``tests/platform/test_examples.py`` validates every example against its schema."""

from typing import Any

# An OpenAPI example: a JSON object (pydantic's ``json_schema_extra`` takes it as is).
Example = dict[str, Any]


CUSTOMER_ID = "0192f5a4-6b1e-7c3d-9a2f-3e4b5c6d7e81"
INVOICE_ID = "0192f5a4-7c2d-7e4f-8b1a-4c5d6e7f8091"
MESSAGE_ID = "0192f5aa-2f3a-7b4c-9d5e-6f7a8b9cadbd"
TEMPLATE_ID = "0192f5ac-4b5c-7d6e-9f7a-8b9cadbecfdf"
PARTIAL_ID = "0192f5ac-5c6d-7e7f-8a8b-9cadbecfd0f0"
REPLY_ID = "0192f5b2-6a7b-7c8d-9e0f-1a2b3c4d5e6f"
SUPPRESSION_ID = "0192f5b2-7b8c-7d9e-8f0a-2b3c4d5e6f7a"
DISPATCH_ID = "0192f5ab-4b5c-7d6e-9f7a-8b9cadbecf01"

SUBJECT = "Factura A-0001-00000451 vencida: Distribuidora Los Andes (7 días, $ 125.000,00)"
BODY_TEXT = (
    "Estimada Marisol:\n\nLe escribimos de Distribuidora Los Andes. La factura A-0001-00000451 por $ 125.000,00 "
    "venció el 3 de marzo de 2026 (hace 7 días). Si ya la pagó, avísenos respondiendo este correo.\n\n"
    "Carla Gómez, Departamento de Cobros"
)
BODY_HTML = (
    "<p>Estimada Marisol:</p><p>Le escribimos de Distribuidora Los Andes. La factura <b>A-0001-00000451</b> por "
    "$ 125.000,00 venció el 3 de marzo de 2026 (hace 7 días).</p>"
)
WHATSAPP: Example = {
    "name": "cobranza_vencida_1",
    "language": "es_AR",
    "parameters": ["Marisol", "Distribuidora Los Andes", "$ 125.000,00", "A-0001-00000451"],
}
MESSAGE_OUT: Example = {
    "id": MESSAGE_ID,
    "customer_id": CUSTOMER_ID,
    "kind": "overdue",
    "channel": "email",
    "to": "pagos@ferreterialosandes.com.ar",
    "recipient_name": "Marisol Gutiérrez",
    "subject": SUBJECT,
    "state": "delivered",
    "attempts": 1,
    "scheduled_at": "2026-03-10T12:00:03Z",
    "deferred_reason": None,
    "sent_at": "2026-03-10T12:00:07Z",
    "delivered_at": "2026-03-10T12:00:09Z",
    "read_at": None,
    "failed_at": None,
    "error_code": None,
    "error": None,
    "source": "dunning",
    "source_ref": DISPATCH_ID,
    "created_at": "2026-03-10T12:00:03Z",
    "updated_at": "2026-03-10T12:00:09Z",
}
MESSAGE_DETAIL: Example = {
    **MESSAGE_OUT,
    "language": "es",
    "tone": 1,
    "timezone": "America/Argentina/Buenos_Aires",
    "invoice_ids": [INVOICE_ID],
    "template_ref": "default:overdue/email/es/1",
    "body_text": BODY_TEXT,
    "body_html": BODY_HTML,
    "whatsapp": None,
    "provider_message_id": "<20260310120007.4412@mail.andina.com.ar>",
    "dead_lettered": False,
    "resend_count": 0,
    "idempotency_key": f"dunning:{CUSTOMER_ID}:email:2026-03-10:4be1d0c7a93f52e6a1d8",
    "attempt_log": [
        {
            "number": 1,
            "started_at": "2026-03-10T12:00:05Z",
            "finished_at": "2026-03-10T12:00:07Z",
            "outcome": "sent",
            "provider_message_id": "<20260310120007.4412@mail.andina.com.ar>",
            "error_code": None,
            "error": None,
        }
    ],
}
MESSAGE_STATS: Example = {
    "timezone": "America/Argentina/Buenos_Aires",
    "days": [
        {
            "date": "2026-03-10",
            "channel": "email",
            "counts": {"delivered": 1650, "bounced": 21, "failed": 4},
            "total": 1702,
        },
        {"date": "2026-03-10", "channel": "sms", "counts": {"delivered": 126, "failed": 5}, "total": 131},
    ],
}
RESEND_IN: Example = {"to": "tesoreria@ferreterialosandes.com.ar"}
REPLY_OUT: Example = {
    "id": REPLY_ID,
    "channel": "email",
    "from_address": "pagos@ferreterialosandes.com.ar",
    "customer_id": CUSTOMER_ID,
    "in_reply_to": MESSAGE_ID,
    "subject": f"RE: {SUBJECT}",
    "body": "Buenas tardes, la transferencia del saldo sale el viernes 20. Saludos, Marisol",
    "opt_out": False,
    "received_at": "2026-03-10T17:22:48Z",
}
OPT_OUT_IN: Example = {
    "channel": "email",
    "address": "compras@ferreterialosandes.com.ar",
    "customer_id": CUSTOMER_ID,
    "reason": "Pidió no recibir más correos de cobranza en esta casilla",
}
SUPPRESSION_OUT: Example = {
    "id": SUPPRESSION_ID,
    "channel": "email",
    "address": "compras@ferreterialosandes.com.ar",
    "customer_id": CUSTOMER_ID,
    "source": "api",
    "reason": "Pidió no recibir más correos de cobranza en esta casilla",
    "created_at": "2026-03-11T14:05:31Z",
}
PARTIAL_BODY = "Carla Gómez\nDepartamento de Cobros, {{ company.name }}\n{{ collections.phone }}"
PARTIAL_CREATE: Example = {
    "name": "firma_cobros",
    "description": "Firma del departamento de cobros",
    "body": PARTIAL_BODY,
}
PARTIAL_OUT: Example = {
    "id": PARTIAL_ID,
    "name": "firma_cobros",
    "description": "Firma del departamento de cobros",
    "body": PARTIAL_BODY,
    "revision": 2,
    "created_at": "2026-02-02T15:10:00Z",
    "updated_at": "2026-02-09T11:25:40Z",
}
PARTIAL_UPDATE: Example = {"body": PARTIAL_BODY + "\nLunes a viernes de 9 a 18"}
_TEMPLATE_SOURCE: Example = {
    "subject": "Factura vencida: {{ company.name }} ({{ oldest_days_overdue }} días, {{ total }})",
    "body_text": "Estimada/o {{ recipient_name }}:\n\nLe escribimos de {{ company.name }}. "
    "{% for invoice in invoices %}La factura {{ invoice.number }} por {{ invoice.open_amount }} venció el "
    "{{ invoice.due_date }}.\n{% endfor %}",
    "body_html": None,
    "whatsapp_template": None,
    "whatsapp_language": None,
    "whatsapp_parameters": [],
}
TEMPLATE_OUT: Example = {
    "id": TEMPLATE_ID,
    "kind": "overdue",
    "channel": "email",
    "language": "es",
    "tone": 1,
    "name": "Vencida amable (mayoristas)",
    "description": "Primer aviso de factura vencida, tono amable",
    **_TEMPLATE_SOURCE,
    "active": True,
    "revision": 3,
    "created_at": "2026-02-02T15:12:00Z",
    "updated_at": "2026-02-27T18:01:22Z",
}
TEMPLATE_UPDATE: Example = {"subject": _TEMPLATE_SOURCE["subject"], "body_text": _TEMPLATE_SOURCE["body_text"]}
DEFAULT_TEMPLATE_OUT: Example = {
    "ref": "default:overdue/whatsapp/es/1",
    "kind": "overdue",
    "channel": "whatsapp",
    "language": "es",
    "tone": 1,
    "name": "Overdue, tone 1 (WhatsApp, es)",
    "subject": None,
    "body_text": "Hola {{ recipient_name }}, le recordamos que tiene {{ total }} vencido con {{ company.name }}.",
    "body_html": None,
    "whatsapp_template": "cobranza_vencida_1",
    "whatsapp_language": "es_AR",
    "whatsapp_parameters": ["{{ recipient_name }}", "{{ company.name }}", "{{ total }}"],
}
TAG_OUT: Example = {
    "name": "advisor",
    "description": "The customer's business advisor (asesor de negocios)",
    "attributes": ["email", "name", "phone", "whatsapp", "whatsapp_link"],
}
PREVIEW_OUT: Example = {
    "template_ref": "default:overdue/email/es/1",
    "subject": SUBJECT,
    "body_text": BODY_TEXT,
    "body_html": BODY_HTML,
    "whatsapp": None,
    "data": {
        "recipient_name": "Marisol Gutiérrez",
        "company": {"name": "Distribuidora Los Andes"},
        "total": "$ 125.000,00",
        "oldest_days_overdue": 7,
    },
}
_WINDOW: Example = {"start": "08:00", "end": "20:00", "days": [1, 2, 3, 4, 5]}
_CAP: Example = {"max_messages": 2, "window_days": 7}
SETTINGS_OUT: Example = {
    "profile": {
        "company": {
            "display_name": "Distribuidora Los Andes",
            "legal_name": "Distribuidora Los Andes S.A.",
            "tax_id": "30-70998877-1",
            "email": "cobranzas@andina.com.ar",
            "phone": "+541143210000",
            "website": "https://www.andina.com.ar",
            "address": "Av. Corrientes 1234, C1043 CABA, Argentina",
            "logo_url": "https://www.andina.com.ar/logo.png",
        },
        "collections": {
            "name": "Carla Gómez",
            "department": "Departamento de Cobros",
            "email": "cobranzas@andina.com.ar",
            "phone": "+541143210010",
            "whatsapp": "+5491144442222",
            "hours": "lunes a viernes de 9 a 18",
        },
        "payment_instructions": [
            "Transferencia a Distribuidora Los Andes S.A., CUIT 30-70998877-1",
            "Banco Galicia, CBU 0070999020000001234567",
        ],
        "payment_notification": {"fields": None, "email": "pagos@andina.com.ar", "whatsapp": "+5491144442222"},
        "portal_url": "https://pagos.andina.com.ar/c/{external_id}",
        "statement_formats": ["pdf"],
    },
    "sandbox": False,
    "email": {
        "enabled": True,
        "quiet_hours": _WINDOW,
        "frequency_cap": _CAP,
        "configured": True,
        "from_address": "cobranzas@andina.com.ar",
        "from_name": "Cobranzas Distribuidora Los Andes",
        "reply_to": "cobranzas@andina.com.ar",
        "smtp": {
            "host": "smtp.andina.com.ar",
            "port": 587,
            "username": "cobranzas@andina.com.ar",
            "security": "starttls",
            "password_set": True,
        },
    },
    "sms": {
        "enabled": True,
        "quiet_hours": _WINDOW,
        "frequency_cap": _CAP,
        "configured": True,
        "provider": {
            "base_url": "https://api.twilio.com",
            "account_sid": "AC5f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "from_number": "+5491139990000",
            "messaging_service_sid": None,
            "auth_token_set": True,
        },
    },
    "whatsapp": {
        "enabled": False,
        "quiet_hours": _WINDOW,
        "frequency_cap": _CAP,
        "configured": False,
        "provider": None,
    },
    "webhooks": {
        "twilio_status": "https://cobranza.andina.com.ar/webhooks/messaging/twilio/0192f5a0-1111-7aaa-8bbb-0c0d0e0f1a2b/status",
        "twilio_inbound": "https://cobranza.andina.com.ar/webhooks/messaging/twilio/0192f5a0-1111-7aaa-8bbb-0c0d0e0f1a2b/inbound",
        "whatsapp": "https://cobranza.andina.com.ar/webhooks/messaging/whatsapp/0192f5a0-1111-7aaa-8bbb-0c0d0e0f1a2b",
    },
}
