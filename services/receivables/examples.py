# Over 400 lines on purpose: one story whose ids and amounts every domain's examples share, so it stays one table
# of data (no behaviour) rather than a copy of the story beside each ``schemas.py``.
"""Examples of receivables' request and response bodies, for the OpenAPI document (``json_schema_extra`` of the
schemas). One made-up story throughout, so that ids and amounts agree: Ferretería Los Andes (ERP-C-100), a customer
of Distribuidora Los Andes in Argentina, owes invoice A-0001-00000451 (ARS 125,000.00 due 2026-03-03); it paid
ARS 40,000.00 on 2026-03-12, and its collector Carla Gómez got a promise for the rest by 2026-03-20.
``tests/platform/test_examples.py`` validates every example against its schema. Typed ``JsonDict``: what
pydantic's ``json_schema_extra`` takes."""

from pydantic.config import JsonDict

TENANT_ID = "0192f5a0-1111-7aaa-8bbb-0c0d0e0f1a2b"
COLLECTOR_ID = "0192f5a3-2b3c-7d4e-9f5a-6b7c8d9e0f13"
ACTOR = f"user:{COLLECTOR_ID}"
CUSTOMER_ID = "0192f5a4-6b1e-7c3d-9a2f-3e4b5c6d7e81"
INVOICE_ID = "0192f5a4-7c2d-7e4f-8b1a-4c5d6e7f8091"
PAYMENT_ID = "0192f5a5-1a2b-7c3d-8e4f-5a6b7c8d9e02"
ADVISOR_ID = "0192f5a3-4d5e-7f6a-8b7c-8d9e0f1a2b35"
SUPERVISOR_ID = "0192f5a3-5e6f-7a7b-9c8d-9e0f1a2b3c46"
RESPONSIBLE_ID = "0192f5a3-6f7a-7b8c-8d9e-0f1a2b3c4d57"
AREA_ID = "0192f5a7-7a8b-7c9d-8e0f-1a2b3c4d5e68"
OUTCOME_ID = "0192f5a8-8b9c-7d0e-9f1a-2b3c4d5e6f79"
PROMISE_ID = "0192f5a8-9c0d-7e1f-8a2b-3c4d5e6f7a8a"
TASK_ID = "0192f5a9-0d1e-7f2a-9b3c-4d5e6f7a8b9b"
NOTE_ID = "0192f5a9-1e2f-7a3b-8c4d-5e6f7a8b9cac"
ENTRY_ID = "0192f5af-7e8f-7a9b-8cad-becfd0e1f203"
CHARGE_ID = "0192f5b1-2a3b-5c4d-8e5f-6a7b8c9d0e1f"

CUSTOMER_OUT: JsonDict = {
    "id": CUSTOMER_ID,
    "revision": 4,
    "external_id": "ERP-C-100",
    "name": "Ferretería Los Andes S.R.L.",
    "tax_id": "30-71234567-8",
    "country": "AR",
    "timezone": "America/Argentina/Buenos_Aires",
    "language": "es",
    "segment": "mayorista",
    "vip": False,
    "risk_level": "medium",
    "computed_risk_level": "high",
    "computed_risk_reasons": ["pays later than before: 24 days late on the last 3 payments against 6"],
    "tags": ["cuenta-clave", "zona-norte"],
    "contacts": [
        {"channel": "email", "address": "pagos@ferreterialosandes.com.ar", "invalid": False},
        {"channel": "whatsapp", "address": "+5491145556677", "invalid": False},
    ],
    "opted_out_channels": [],
    "collector_id": COLLECTOR_ID,
    "advisor_id": ADVISOR_ID,
    "created_at": "2026-01-15T13:20:41Z",
    "updated_at": "2026-03-12T18:05:09Z",
}
CUSTOMER_UPDATE: JsonDict = {
    "segment": "mayorista",
    "risk_level": "high",
    "tags": ["cuenta-clave", "zona-norte"],
    "contacts": [{"channel": "email", "address": "tesoreria@ferreterialosandes.com.ar"}],
}
INVOICE_OUT: JsonDict = {
    "id": INVOICE_ID,
    "revision": 3,
    "customer_id": CUSTOMER_ID,
    "external_id": "ERP-F-2026-000451",
    "number": "A-0001-00000451",
    "kind": "invoice",
    "currency": "ARS",
    "amount": "125000.00",
    "open_amount": "85000.00",
    "issue_date": "2026-02-01",
    "due_date": "2026-03-03",
    "days_overdue": 13,
    "document_url": "https://erp.andina.com.ar/facturas/A-0001-00000451.pdf",
    "status": "promise_to_pay",
    "promised_date": "2026-03-20",
    "reported_date": None,
    "dispute_area_id": None,
    "closed_on": None,
    "applies_to": [],
    "created_at": "2026-02-01T10:00:12Z",
    "updated_at": "2026-03-16T15:42:03Z",
}
INVOICE_UPDATE: JsonDict = {
    "due_date": "2026-03-10",
    "document_url": "https://erp.andina.com.ar/facturas/A-0001-00000451-corregida.pdf",
}
INGEST_RESULT: JsonDict = {
    "received": 1000,
    "created": 982,
    "updated": 12,
    "unchanged": 5,
    "rejected": [
        {
            "index": 417,
            "external_id": "ERP-F-2026-000868",
            "field": "number",
            "reason": "Field required",
            "errors": [
                {"field": "number", "reason": "Field required"},
                {"field": "currency", "reason": "is not an ISO 4217 currency"},
                {"field": "due_date", "reason": "Input should be a valid date or datetime"},
            ],
        }
    ],
    "ignored_columns": [],
}
_AGING: JsonDict = {
    "as_of": "2026-03-16",
    "currencies": [
        {
            "currency": "ARS",
            "total": "18452300.00",
            "overdue": "6420150.00",
            "buckets": [
                {"bucket": "current", "amount": "12032150.00", "invoices": 214},
                {"bucket": "1-30", "amount": "4120400.00", "invoices": 61},
                {"bucket": "31-60", "amount": "1380250.00", "invoices": 22},
                {"bucket": "61-90", "amount": "512000.00", "invoices": 9},
                {"bucket": "91-120", "amount": "245500.00", "invoices": 4},
                {"bucket": "120+", "amount": "162000.00", "invoices": 3},
            ],
        },
        {
            "currency": "MXN",
            "total": "842500.50",
            "overdue": "120300.00",
            "buckets": [
                {"bucket": "current", "amount": "722200.50", "invoices": 18},
                {"bucket": "1-30", "amount": "120300.00", "invoices": 4},
            ],
        },
    ],
}
AGING_OUT = _AGING
DSO_OUT: JsonDict = {
    "as_of": "2026-03-16",
    "method": "countback",
    "months": 12,
    "currencies": [{"currency": "ARS", "receivables": "18452300.00", "dso": "41.3", "exhausted": False}],
}
CEI_OUT: JsonDict = {
    "date_from": "2026-02-01",
    "date_to": "2026-02-28",
    "currencies": [
        {
            "currency": "ARS",
            "beginning": "16210400.00",
            "sales": "13905000.00",
            "ending_total": "17650200.00",
            "ending_current": "11830000.00",
            "cei": "68.2",
        }
    ],
}
PROMISES_KPI_OUT: JsonDict = {
    "date_from": "2026-02-01",
    "date_to": "2026-02-28",
    "made": 48,
    "kept": 31,
    "broken": 9,
    "cancelled": 2,
    "open_now": 6,
    "kept_rate": "77.5",
    "broken_amounts": [{"currency": "ARS", "amount": "1126400.00", "promises": 9}],
}
EXCUSES_OUT: JsonDict = {
    "date_from": "2026-02-01",
    "date_to": "2026-02-28",
    "by_reason": [
        {"excuse": "forgetting", "outcomes": 22, "notes": 9},
        {"excuse": "inability", "outcomes": 14, "notes": 6},
    ],
    "by_hashtag": [{"hashtag": "transferencia", "notes": 17}, {"hashtag": "cheque", "notes": 4}],
}
CONTACTS_OUT: JsonDict = {
    "date_from": "2026-02-01",
    "date_to": "2026-02-28",
    "collectors": [
        {
            "user_id": COLLECTOR_ID,
            "name": "Carla Gómez",
            "contacts": 132,
            "customers": 87,
            "outcomes": {"promise_to_pay": 41, "no_commitment": 30, "could_not_reach": 52, "dispute": 9},
        }
    ],
}
WORKLOAD_OUT: JsonDict = {
    "as_of": "2026-03-16",
    "assignees": [{"user_id": COLLECTOR_ID, "name": "Carla Gómez", "open_tasks": 23, "overdue": 4, "due_today": 6}],
}
KPIS_OUT: JsonDict = {
    "aging": AGING_OUT,
    "dso": DSO_OUT,
    "cei": CEI_OUT,
    "promises": PROMISES_KPI_OUT,
    "excuses": EXCUSES_OUT,
    "contacts": CONTACTS_OUT,
    "workload": WORKLOAD_OUT,
}
NOTE_OUT: JsonDict = {
    "id": NOTE_ID,
    "customer_id": CUSTOMER_ID,
    "body": "Marisol (cuentas a pagar) se olvidó de cargar la factura; paga el viernes por #transferencia",
    "spoken_with": "Marisol Gutiérrez (cuentas a pagar)",
    "reason": "forgetting",
    "agreed": "Transferencia del saldo el viernes 20",
    "hashtags": ["transferencia"],
    "invoice_ids": [INVOICE_ID],
    "outcome_id": OUTCOME_ID,
    "author": ACTOR,
    "author_user_id": COLLECTOR_ID,
    "occurred_at": "2026-03-16T14:05:00Z",
    "created_at": "2026-03-16T15:42:03Z",
}
TASK_OUT: JsonDict = {
    "id": TASK_ID,
    "revision": 1,
    "customer_id": CUSTOMER_ID,
    "title": "Confirmar la transferencia de Ferretería Los Andes",
    "description": "Promesa de pago del saldo de A-0001-00000451 para el 20/03",
    "assignee_id": COLLECTOR_ID,
    "supervisor_id": SUPERVISOR_ID,
    "due_date": "2026-03-21",
    "status": "open",
    "overdue": False,
    "source": "outcome",
    "outcome_id": OUTCOME_ID,
    "created_by": ACTOR,
    "completed_at": None,
    "completed_by": None,
    "occurred_at": "2026-03-16T14:05:00Z",
    "created_at": "2026-03-16T15:42:03Z",
    "updated_at": "2026-03-16T15:42:03Z",
}
TASK_UPDATE: JsonDict = {"status": "done"}
OUTCOME_OUT: JsonDict = {
    "id": OUTCOME_ID,
    "customer_id": CUSTOMER_ID,
    "kind": "promise_to_pay",
    "channel": "phone",
    "spoke_with": "Marisol Gutiérrez (cuentas a pagar)",
    "excuse": "forgetting",
    "note": "Se olvidó de cargar la factura; paga el viernes por #transferencia",
    "hashtags": ["transferencia"],
    "invoice_ids": [INVOICE_ID],
    "promised_date": "2026-03-20",
    "reported_date": None,
    "reported_reference": None,
    "dispute_area_id": None,
    "task_id": TASK_ID,
    "note_id": NOTE_ID,
    "message_requested": False,
    "message_skipped": None,
    "collector_id": COLLECTOR_ID,
    "recorded_by": ACTOR,
    "recorded_by_user_id": COLLECTOR_ID,
    "recorded_at": "2026-03-16T15:42:03Z",
    "occurred_at": "2026-03-16T14:05:00Z",
}
OUTCOME_RECORDED_OUT: JsonDict = {**OUTCOME_OUT, "task": TASK_OUT, "dispute_area": None}
PAYMENT_OUT: JsonDict = {
    "id": PAYMENT_ID,
    "revision": 1,
    "customer_id": CUSTOMER_ID,
    "external_id": "ERP-P-2026-000088",
    "currency": "ARS",
    "amount": "40000.00",
    "unapplied_amount": "0.00",
    "payment_date": "2026-03-12",
    "reference": "Transferencia Banco Galicia 0007-4412",
    "status": "applied",
    "reversed_on": None,
    "reversal_reason": None,
    "allocations": [
        {"invoice_id": INVOICE_ID, "invoice_number": "A-0001-00000451", "amount": "40000.00", "reversed": False}
    ],
    "created_at": "2026-03-12T18:05:09Z",
    "updated_at": "2026-03-12T18:05:09Z",
}
PERSON_OUT: JsonDict = {
    "id": ADVISOR_ID,
    "kind": "advisor",
    "external_id": "ERP-V-017",
    "name": "Martín Rodríguez",
    "email": "martin.rodriguez@andina.com.ar",
    "phone": "+5491155551234",
    "whatsapp": "+5491155551234",
    "supervisor_id": SUPERVISOR_ID,
    "user_id": None,
    "active": True,
    "created_at": "2026-01-12T16:00:00Z",
    "updated_at": "2026-02-20T11:31:45Z",
}
PERSON_UPDATE: JsonDict = {"phone": "+5491155559876", "whatsapp": "+5491155559876"}
COLLECTOR_OUT: JsonDict = {
    "user_id": COLLECTOR_ID,
    "name": "Carla Gómez",
    "email": "carla.gomez@andina.com.ar",
    "phone": "+5491144442222",
    "whatsapp": "+5491144442222",
    "roles": ["collector"],
    "active": True,
    "customers": 312,
}
DISPUTE_AREA_OUT: JsonDict = {
    "id": AREA_ID,
    "name": "Logística",
    "responsible_id": RESPONSIBLE_ID,
    "responsible": {
        **PERSON_OUT,
        "id": RESPONSIBLE_ID,
        "kind": "supervisor",
        "external_id": None,
        "name": "Sara Domínguez",
        "email": "sara.dominguez@andina.com.ar",
        "phone": "+5491166663333",
        "whatsapp": None,
        "supervisor_id": None,
    },
    "active": True,
    "created_at": "2026-01-12T16:10:00Z",
    "updated_at": "2026-01-12T16:10:00Z",
}
DISPUTE_AREA_UPDATE: JsonDict = {"responsible_id": RESPONSIBLE_ID}
DETECT_BROKEN_IN: JsonDict = {"as_of": "2026-03-21"}
DETECT_BROKEN_OUT: JsonDict = {"as_of": "2026-03-21", "broken": 1, "promise_ids": [PROMISE_ID]}
PROMISE_OUT: JsonDict = {
    "id": PROMISE_ID,
    "customer_id": CUSTOMER_ID,
    "invoice_id": INVOICE_ID,
    "outcome_id": OUTCOME_ID,
    "promised_date": "2026-03-20",
    "currency": "ARS",
    "amount": "85000.00",
    "collector_id": COLLECTOR_ID,
    "status": "open",
    "resolved_on": None,
    "created_by": ACTOR,
    "created_at": "2026-03-16T15:42:03Z",
    "occurred_at": "2026-03-16T14:05:00Z",
}
_PERSON: JsonDict = {"name": "Carla Gómez", "email": "carla.gomez@andina.com.ar", "phone": "+5491144442222"}
STATEMENT_OUT: JsonDict = {
    "customer": {
        "id": CUSTOMER_ID,
        "external_id": "ERP-C-100",
        "name": "Ferretería Los Andes S.R.L.",
        "tax_id": "30-71234567-8",
        "country": "AR",
        "language": "es",
    },
    "company": "Distribuidora Los Andes S.A.",
    "as_of": "2026-03-16",
    "invoices": [
        {
            "invoice_id": INVOICE_ID,
            "number": "A-0001-00000451",
            "kind": "invoice",
            "currency": "ARS",
            "amount": "125000.00",
            "open_amount": "85000.00",
            "issue_date": "2026-02-01",
            "due_date": "2026-03-03",
            "days_overdue": 13,
            "status": "promise_to_pay",
            "document_url": "https://erp.andina.com.ar/facturas/A-0001-00000451.pdf",
            "triggered": False,
            "demanded": True,
            "promised_date": "2026-03-20",
            "reported_date": None,
            "bucket": "1-30",
        }
    ],
    "credits": [],
    "payments": [
        {
            "date": "2026-03-12",
            "reference": "Transferencia Banco Galicia 0007-4412",
            "invoice": "A-0001-00000451",
            "currency": "ARS",
            "amount": "40000.00",
        }
    ],
    "aging": [{"currency": "ARS", "buckets": {"current": "0.00", "1-30": "85000.00"}}],
    "totals": [
        {
            "currency": "ARS",
            "open_amount": "85000.00",
            "overdue_amount": "85000.00",
            "credit": "0.00",
            "balance": "85000.00",
            "amount_due": "85000.00",
        }
    ],
    "overdue_count": 1,
    "oldest_days_overdue": 13,
    "charges": [
        {
            "charge_id": CHARGE_ID,
            "invoice_id": INVOICE_ID,
            "invoice_number": "A-0001-00000451",
            "kind": "fixed",
            "description": "Cargo por gestión de cobranza",
            "currency": "ARS",
            "amount": "1500.00",
            "charged_on": "2026-03-11",
        }
    ],
    "charge_totals": [{"currency": "ARS", "amount": "1500.00"}],
    "collector": {"id": COLLECTOR_ID, **_PERSON, "whatsapp": "+5491144442222"},
    "advisor": {
        "id": ADVISOR_ID,
        "name": "Martín Rodríguez",
        "email": "martin.rodriguez@andina.com.ar",
        "phone": "+5491155551234",
        "whatsapp": "+5491155551234",
    },
    "supervisor": None,
}
SETTINGS_OUT: JsonDict = {
    "tenant_id": TENANT_ID,
    "name": "Distribuidora Los Andes S.A.",
    "country": "AR",
    "timezone": "America/Argentina/Buenos_Aires",
    "language": "es",
    "default_currency": "ARS",
    "today": "2026-03-16",
    "promise_grace_days": 2,
    "follow_up_days": 3,
    "action_owner_id": None,
    "auto_apply_credits": True,
    "worklist_weights": {
        "overdue": 40,
        "broken_promise": 60,
        "promise_due": 25,
        "task_due": 30,
        "reply_waiting": 35,
        "portal_action": 35,
        "bounced_contact": 10,
        "warning_sign": 10,
        "days_since_contact": 10,
    },
    "warning_signs": {
        "recent_payments": 3,
        "days_late_increase": 10,
        "small_before_large": 2,
        "broken_promises": 1,
        "bad_contacts": 1,
        "overdue_growth_pct": 20,
        "for_high_risk": 2,
    },
}
HISTORY_ENTRY_OUT: JsonDict = {
    "id": ENTRY_ID,
    "occurred_at": "2026-03-16T15:42:03Z",
    "kind": "status_change",
    "summary": "Invoice A-0001-00000451: normal -> promise_to_pay",
    "data": {
        "from": "normal",
        "to": "promise_to_pay",
        "promised_date": "2026-03-20",
        "reported_date": None,
        "dispute_area_id": None,
        "reason": "outcome",
        "outcome_id": OUTCOME_ID,
    },
    "actor": ACTOR,
}
TIMELINE_ENTRY_OUT: JsonDict = {
    **HISTORY_ENTRY_OUT,
    "kind": "outcome",
    "invoice_id": None,
    "ref_id": OUTCOME_ID,
    "summary": "Promise to pay by 2026-03-20 (1 invoice)",
    "data": {
        "kind": "promise_to_pay",
        "channel": "phone",
        "spoke_with": "Marisol Gutiérrez (cuentas a pagar)",
        "excuse": "forgetting",
        "note": "Se olvidó de cargar la factura; paga el viernes por #transferencia",
        "hashtags": ["transferencia"],
        "invoices": [{"invoice_id": INVOICE_ID, "number": "A-0001-00000451"}],
        "promised_date": "2026-03-20",
        "reported_date": None,
    },
}
CUSTOMER_BATCH: JsonDict = {
    "items": [
        {
            "external_id": "ERP-C-100",
            "name": "Ferretería Los Andes S.R.L.",
            "tax_id": "30-71234567-8",
            "country": "AR",
            "segment": "mayorista",
            "tags": ["cuenta-clave"],
            "contacts": [{"channel": "email", "address": "pagos@ferreterialosandes.com.ar"}],
            "collector_email": "carla.gomez@andina.com.ar",
            "advisor_external_id": "ERP-V-017",
            "version": 7,
        },
        {
            "external_id": "ERP-C-215",
            "name": "Comercial Valparaíso SpA",
            "tax_id": "76.543.210-K",
            "country": "CL",
            "timezone": "America/Santiago",
            "contacts": [{"channel": "sms", "address": "+56961234567"}],
            "version": 2,
        },
    ]
}
PAYMENT_BATCH: JsonDict = {
    "items": [
        {
            "external_id": "ERP-P-2026-000088",
            "customer_external_id": "ERP-C-100",
            "currency": "ARS",
            "amount": "40000.00",
            "payment_date": "2026-03-12",
            "reference": "Transferencia Banco Galicia 0007-4412",
            "invoices": [{"invoice_external_id": "ERP-F-2026-000451", "amount": "40000.00"}],
            "version": 1,
        },
        {
            "external_id": "ERP-P-2026-000091",
            "customer_external_id": "ERP-C-215",
            "currency": "CLP",
            "amount": "1250000",
            "payment_date": "2026-03-13",
            "reference": "Depósito BancoEstado 88120",
            "version": 1,
        },
    ]
}
WORKLIST_ITEM: JsonDict = {
    "customer": {
        "id": CUSTOMER_ID,
        "external_id": "ERP-C-100",
        "name": "Ferretería Los Andes S.R.L.",
        "collector_id": COLLECTOR_ID,
    },
    "score": "121.00",
    "reasons": [
        {
            "code": "broken_promise",
            "weight": 60,
            "points": "60.00",
            "text": "promise of 20/03/2026 broken 3 days ago (ARS 85.000,00), still owed",
            "evidence": {
                "promised_date": "2026-03-20",
                "broken_on": "2026-03-23",
                "amount": "85000.00",
                "currency": "ARS",
                "broken_promises": 1,
            },
        },
        {
            "code": "overdue",
            "weight": 40,
            "points": "34.00",
            "text": "ARS 85.000,00 overdue in 1 invoice(s), the oldest 23 days: amount x days at or above 85% of "
            "the collector's ARS debts",
            "evidence": {"currency": "ARS", "amount": "85000.00", "invoices": 1, "oldest_days": 23, "share": "0.8500"},
        },
        {
            "code": "days_since_contact",
            "weight": 10,
            "points": "3.00",
            "text": "last contacted 10 days ago (16/03/2026)",
            "evidence": {"days": 10, "last_contact_on": "2026-03-16"},
        },
        {
            "code": "warning_signs",
            "weight": 10,
            "points": "10.00",
            "text": "1 warning sign(s): broken promises",
            "evidence": {"signs": ["broken_promises"]},
        },
    ],
    "objective": {
        "code": "generate_action",
        "why": "the customer has given an excuse or let the debt age: get a commitment",
    },
    "channel": {
        "code": "call",
        "address": "+5491144445555",
        "why": "call suits 'generate action' and has a valid contact",
    },
}
COLLECTOR_SITUATION: JsonDict = {
    "user_id": COLLECTOR_ID,
    "name": "Carla Gómez",
    "customers": 412,
    "worklist_size": 37,
    "contacts": 22,
    "customers_contacted": 19,
    "promises_obtained": 6,
    "promises_kept": 3,
    "promises_broken": 1,
    "excuses": {"forgetting": 5, "inability_to_pay": 2},
    "tasks_open": 14,
    "tasks_overdue": 3,
}


CUSTOMER_SIGNS_OUT: JsonDict = {
    "customer_id": "0193a1f2-7c4e-7d6b-9a51-3f2b8c1d4e5f",
    "external_id": "C-000123",
    "name": "Ferretería Los Andes S.R.L.",
    "collector_id": "0193a1f2-0000-7000-8000-000000000007",
    "risk_level": "medium",
    "computed_risk_level": "high",
    "computed_risk_reasons": [
        "pays later than before: 24 days late on the last 3 payments against 6",
        "broke 2 promises in 90 days",
    ],
    "signs": [
        {
            "sign": "days_late_trend",
            "evidence": {
                "recent_payments": 3,
                "recent_avg_days_late": 24,
                "earlier_payments": 9,
                "earlier_avg_days_late": 6,
            },
            "first_seen_on": "2026-11-02",
            "refreshed_on": "2026-11-23",
        },
        {
            "sign": "broken_promises",
            "evidence": {"broken": 2, "window_days": 90, "last_broken_on": "2026-11-18"},
            "first_seen_on": "2026-10-20",
            "refreshed_on": "2026-11-23",
        },
    ],
}

# issue 19: the invoice's late charges (interest for November at the tenant's rate), recorded from dunning's run
CHARGE_OUT: JsonDict = {
    "id": CHARGE_ID,
    "key": f"{INVOICE_ID}:interest:2026-03",
    "invoice_id": INVOICE_ID,
    "customer_id": CUSTOMER_ID,
    "kind": "interest",
    "description": "Interés por mora, marzo 2026 (60% anual)",
    "currency": "ARS",
    "amount": "2095.89",
    "charged_on": "2026-03-31",
    "status": "open",
    "waived_by": None,
    "waived_at": None,
    "waive_reason": None,
    "erp_document": None,
    "invoiced_at": None,
    "revision": 1,
    "created_at": "2026-03-31T09:00:02Z",
    "updated_at": "2026-03-31T09:00:02Z",
}
CHARGE_WAIVE_IN: JsonDict = {"reason": "Cliente de 10 años; pagó el capital el 2026-03-20 como prometió"}
CHARGE_INVOICED_IN: JsonDict = {"erp_document": "ND-0001-00000077"}

SIGNS_REFRESH_ID = "0192f5b2-3b4c-7d5e-8f6a-7b8c9d0e1f2a"
SIGNS_REFRESH_OUT: JsonDict = {
    "id": SIGNS_REFRESH_ID,
    "status": "completed",
    "day": "2026-11-23",
    "customers": 1200,
    "changed": 37,
    "risk_changed": 12,
    "signs": 310,
    "trigger": "manual",
    "requested_by": "user:0192f5a3-1a2b-7c3d-8e4f-5a6b7c8d9e01",
    "requested_at": "2026-11-23T12:00:00Z",
    "started_at": "2026-11-23T12:00:00.120000Z",
    "finished_at": "2026-11-23T12:00:01.840000Z",
    "error": None,
}
SIGNS_REFRESH_QUEUED: JsonDict = {
    **SIGNS_REFRESH_OUT,
    "status": "running",
    "customers": None,
    "changed": None,
    "risk_changed": None,
    "signs": None,
    "finished_at": None,
}
