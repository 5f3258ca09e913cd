"""The sample data a preview or a template check renders with (seed 004's model email and the rest of the
position), and the sample tenant profile."""

import uuid
from datetime import date
from typing import Any

from shared.contracts.messaging import Communication, CommunicationKind

# What ``{{ portal_link }}`` prints in a preview: the shape of a real link (a 22-character token), opening nothing.
SAMPLE_PORTAL_LINK = "https://cobranza.example/portal/MuestraDeEnlaceSinValr"
# A confirmation's ``data`` (the customer promised to pay, on the portal): what the portal sends, already formatted.
SAMPLE_CONFIRMATION = {
    "action": "promise",
    "promised_date": "15/12/2026",
    "amount": "US$ 23.427,72",
    "invoice_numbers": "A-3212 y A-3307",
    "reference_code": "P-7F3A2C",
}


def sample_communication(
    today: date, kind: CommunicationKind = CommunicationKind.OVERDUE, language: str = "es", channel: str = "email"
) -> Communication:
    """The data a preview or a template check renders with: seed 004's model email (2 overdue invoices asked for,
    US$ 123.427,72, 84 days), the second one having reached the step, plus the rest of the position (issue 12): an
    invoice under a payment promise (listed, not asked for) and one not yet due; an advisor and supervisor with
    WhatsApp (seed 002). Before the due date (new invoice, pre-due) the two invoices are not yet due. Its dates count
    from ``today``: the tenant's day (its clock), so a preview on a test clock shows that calendar's dates."""
    day = date.fromordinal
    pre_due = kind in (CommunicationKind.PRE_DUE, CommunicationKind.NEW_INVOICE)
    first_days, second_days = (-5, -20) if pre_due else (84, 31)

    def line(number: str, days: int, amount: str, open_amount: str, **extra: Any) -> dict[str, Any]:
        return {
            "invoice_id": uuid.UUID(int=len(number) * 100 + int(number[-4:])),
            "number": number,
            "currency": "USD",
            "amount": amount,
            "open_amount": open_amount,
            "issue_date": day(today.toordinal() - days - 30),
            "due_date": day(today.toordinal() - days),
            "days_overdue": days,
            **extra,
        }

    invoices = [
        line(
            "A-3212",
            first_days,
            "100000.00",
            "100000.00",
            document_url="https://erp.example/invoices/A-3212.pdf",
            triggered=pre_due,
        ),
        line("A-3307", second_days, "30000.00", "23427.72", triggered=not pre_due),
    ]
    if not pre_due:
        promised = day(today.toordinal() + 7)
        invoices.append(
            line("A-3350", 20, "5000.00", "5000.00", status="promise_to_pay", demanded=False, promised_date=promised)
        )
        invoices.append(line("A-3400", -10, "8000.00", "8000.00"))
    totals = [] if pre_due else [{"currency": "USD", "amount": "123427.72"}]
    open_total = "123427.72" if pre_due else "131427.72"
    return Communication.model_validate(
        {
            "idempotency_key": f"sample-{uuid.uuid4()}",
            "kind": kind,
            "channel": channel,
            "to": "pagos@cliente.example" if channel == "email" else "+5491155551234",
            "language": language,
            "customer": {
                "customer_id": uuid.UUID(int=1),
                "external_id": "C-000123",
                "name": "Distribuidora del Sur S.A.",
                "tax_id": "30-71234567-8",
                "country": "AR",
                "timezone": "America/Argentina/Buenos_Aires",
                "language": language,
            },
            "recipient_name": "Marisol Pérez",
            "invoices": sorted(invoices, key=lambda i: i["due_date"]),
            "totals": totals,
            "open_totals": [{"currency": "USD", "amount": open_total}],
            "overdue_count": 0 if pre_due else 2,
            "oldest_days_overdue": max(0, first_days),
            "action": "suspend_service" if kind is CommunicationKind.ACTION_NOTICE else None,
            "collector": {"name": "Andrea Figuera", "email": "afiguera@empresa.example", "phone": "+18294123122"},
            "advisor": {"name": "Juan Gómez", "phone": "+5491155550001", "whatsapp": "+5491155550001"},
            "supervisor": {"name": "Laura Díaz", "phone": "+5491155550002", "whatsapp": "+5491155550002"},
            "attach_statement": channel == "email",
            "data": {
                "title": "Resumen diario" if language == "es" else "Daily summary",
                "subject": None,
                "message": None,
                "lines": ["Distribuidora del Sur S.A.: promesa de pago vencida (A-3212)"],
                **(SAMPLE_CONFIRMATION if kind is CommunicationKind.CONFIRMATION else {}),
            },
            "source": "preview",
        }
    )


SAMPLE_PROFILE: dict[str, Any] = {
    "company": {"legal_name": "Nimbox Dominicana SRL", "email": "cobros@empresa.example"},
    "collections": {
        "name": "Andrea Figuera",
        "department": "Departamento de Cobros",
        "phone": "+1(829)412-3122",
        "email": "afiguera@empresa.example",
        "fax": "+1(809)540-4082",
        "office_phone": "+1(829)540-4082",
        "whatsapp": "+18294123122",
    },
    "payment_instructions": [
        "Emitir cheque a nombre de Nimbox Dominicana SRL.",
        "Banco Mercantil: 0105-0091-58-1094324268",
        "Banco Provincial: 0108-0950-99-0104443717",
    ],
    "payment_notification": {"email": "pagos@empresa.example"},
    "portal_url": "https://pagos.empresa.example/c/{external_id}",
}
