"""Examples of dunning's request and response bodies, for the OpenAPI document (``json_schema_extra`` of the
schemas). The story of ``services.receivables.examples`` seen from dunning: on 2026-03-10 invoice A-0001-00000451
of Ferretería Los Andes (ERP-C-100) is 7 days overdue and the "Mayoristas" strategy sends its first overdue
reminder by email. ``tests/platform/test_examples.py`` validates every example against its schema."""

from typing import Any

# What ``json_schema_extra`` takes (pydantic's JsonDict); the literals below are JSON by construction.
Example = dict[str, Any]

COLLECTOR_ID = "0192f5a3-2b3c-7d4e-9f5a-6b7c8d9e0f13"
ACTOR = f"user:{COLLECTOR_ID}"
CUSTOMER_ID = "0192f5a4-6b1e-7c3d-9a2f-3e4b5c6d7e81"
INVOICE_ID = "0192f5a4-7c2d-7e4f-8b1a-4c5d6e7f8091"
STRATEGY_ID = "0192f5a6-3c4d-7e5f-8a6b-7c8d9e0f1a24"
RUN_ID = "0192f5ab-3a4b-7c5d-8e6f-7a8b9cadbece"
DISPATCH_ID = "0192f5ab-4b5c-7d6e-9f7a-8b9cadbecf01"
MESSAGE_ID = "0192f5aa-2f3a-7b4c-9d5e-6f7a8b9cadbd"
ACTION_ITEM_ID = "0192f5ad-5c6d-7e7f-8a8b-9cadbecfd0e0"
STEP_ID = "0192f5b0-1c2d-7e3f-8a4b-5c6d7e8f9a0b"
IDEMPOTENCY_KEY = f"dunning:{CUSTOMER_ID}:email:2026-03-10:4be1d0c7a93f52e6a1d8"

MATCH = {
    "vip": False,
    "segments": ["mayorista"],
    "risk_levels": ["medium", "high"],
    "computed_risk_levels": None,
    "tags_any": None,
    "tags_all": None,
    "countries": ["AR", "UY"],
    "amount_overdue": {"currency": "ARS", "min": "50000", "max": None},
}
STEPS = [
    {"key": "pre_due-3", "kind": "pre_due", "days": -3, "tone": 1, "channels": ["email"], "pin_tone": False},
    {"key": "overdue-7", "kind": "overdue", "days": 7, "tone": 1, "channels": ["email", "whatsapp"], "pin_tone": False},
    {"key": "overdue-15", "kind": "overdue", "days": 15, "tone": 2, "channels": ["email", "sms"], "pin_tone": False},
    {"key": "overdue-30", "kind": "overdue", "days": 30, "tone": 3, "channels": ["email", "sms"], "pin_tone": False},
    {"key": "action-45", "kind": "action", "days": 45, "tone": 3, "channels": ["email"], "action": "suspend_service"},
]
_STEPS_OUT = [{"id": STEP_ID, "action": None, **step} for step in STEPS[:4]] + [
    {"id": "0192f5b0-2d3e-7f4a-9b5c-6d7e8f9a0b1c", "pin_tone": False, **STEPS[4]}
]
STRATEGY_OUT: Example = {
    "id": STRATEGY_ID,
    "name": "Mayoristas",
    "description": "Clientes mayoristas de Argentina y Uruguay con deuda vencida desde ARS 50.000",
    "priority": 10,
    "is_default": False,
    "manual_only": False,
    "for_payment_plans": False,
    "active": True,
    "match": MATCH,
    "steps": _STEPS_OUT,
    "fees": [
        {"key": "late-fee", "kind": "fixed", "at_step": "overdue-15", "amounts": {"ARS": "500.00", "USD": "5.00"}},
        {"key": "interest", "kind": "interest", "name": "Interés por mora", "annual_rate": "60", "grace_days": 5},
    ],
    "version": 3,
    "updated_by": ACTOR,
    "created_at": "2026-01-20T13:00:00Z",
    "updated_at": "2026-02-27T17:45:10Z",
}
STRATEGY_UPDATE: Example = {
    "description": "Clientes mayoristas de Argentina y Uruguay con deuda vencida desde ARS 50.000",
    "steps": [
        {
            "key": step["key"],
            "kind": step["kind"],
            "days": step["days"],
            "tone": step["tone"],
            "channels": step["channels"],
            **({"action": step["action"]} if "action" in step else {}),
        }
        for step in STEPS
    ],
}
STRATEGY_VERSION_OUT: Example = {
    "strategy_id": STRATEGY_ID,
    "version": 3,
    "snapshot": {
        "name": "Mayoristas",
        "description": "Clientes mayoristas de Argentina y Uruguay con deuda vencida desde ARS 50.000",
        "priority": 10,
        "is_default": False,
        "manual_only": False,
        "for_payment_plans": False,
        "active": True,
        "match": MATCH,
        "steps": [{"action": None, **step} for step in STEPS[:4]] + [{"pin_tone": False, **STEPS[4]}],
    },
    "changed_by": ACTOR,
    "created_at": "2026-02-27T17:45:10Z",
}
_POSITION_INVOICE = {
    "invoice_id": INVOICE_ID,
    "number": "A-0001-00000451",
    "status": "normal",
    "currency": "ARS",
    "open_amount": "125000.00",
    "due_date": "2026-03-03",
    "days_overdue": 7,
    "triggered": True,
    "demanded": True,
    "promised_date": None,
    "reported_date": None,
}
_PLANNED = {
    "customer_id": CUSTOMER_ID,
    "customer_name": "Ferretería Los Andes S.R.L.",
    "channel": "email",
    "to": "pagos@ferreterialosandes.com.ar",
    "kind": "overdue",
    "tone": 1,
    "action": None,
    "task": False,
    "idempotency_key": IDEMPOTENCY_KEY,
    "invoices": [
        {
            "invoice_id": INVOICE_ID,
            "number": "A-0001-00000451",
            "step_key": "overdue-7",
            "step_kind": "overdue",
            "days_overdue": 7,
            "open_amount": "125000.00",
            "currency": "ARS",
        }
    ],
    "position": {
        "invoices": [_POSITION_INVOICE],
        "totals": [{"currency": "ARS", "amount": "125000.00"}],
        "open_totals": [{"currency": "ARS", "amount": "125000.00"}],
        "credits": [],
        "overdue_count": 1,
        "oldest_days_overdue": 7,
    },
}
_COUNTS = {
    "customers": 1843,
    "invoices": 4120,
    "communications": 1911,
    "tasks": 37,
    "action_notices": 12,
    "by_step": [
        {
            "strategy_id": STRATEGY_ID,
            "strategy": "Mayoristas",
            "step_key": "overdue-7",
            "kind": "overdue",
            "tone": 1,
            "invoices": 642,
        }
    ],
    "by_channel": {"email": 1702, "sms": 131, "whatsapp": 78, "task": 37},
    "by_tone": {"1": 1120, "2": 598, "3": 193},
    "by_kind": {"pre_due": 455, "overdue": 1444, "action_notice": 12},
    "seconds": {"plan": 0.84, "write": 1.62},
}
RUN_OUT: Example = {
    "id": RUN_ID,
    "as_of": "2026-03-10",
    "dry_run": False,
    "trigger": "schedule",
    "status": "completed",
    "requested_by": None,
    "counts": _COUNTS,
    "strategy_versions": {STRATEGY_ID: 3},
    "note": None,
    "delivery": {"pending": 14, "accepted": 1852, "failed": 8, "task": 37},
    "created_at": "2026-03-10T12:00:00Z",
    "started_at": "2026-03-10T12:00:01Z",
    "finished_at": "2026-03-10T12:00:04Z",
}
RUN_WITH_PLAN: Example = {
    **RUN_OUT,
    "dry_run": True,
    "trigger": "manual",
    "requested_by": ACTOR,
    "note": "Prueba antes de activar la estrategia Mayoristas",
    "delivery": None,
    "plan": [_PLANNED],
    "plan_truncated": True,
}
DISPATCH_OUT: Example = {
    "id": DISPATCH_ID,
    "customer_id": CUSTOMER_ID,
    "channel": "email",
    "to": "pagos@ferreterialosandes.com.ar",
    "kind": "overdue",
    "tone": 1,
    "action": None,
    "state": "accepted",
    "delivery_state": "delivered",
    "error": None,
    "idempotency_key": IDEMPOTENCY_KEY,
    "invoice_ids": [INVOICE_ID],
    "step_keys": ["overdue-7"],
    "created_at": "2026-03-10T12:00:03Z",
    "resolved_at": "2026-03-10T12:00:09Z",
}
ACTION_ITEM_OUT: Example = {
    "id": ACTION_ITEM_ID,
    "customer_id": CUSTOMER_ID,
    "customer_name": "Ferretería Los Andes S.R.L.",
    "invoice_ids": [INVOICE_ID],
    "action": "suspend_service",
    "status": "open",
    "source": "step",
    "assignee_id": COLLECTOR_ID,
    "created_on": "2026-04-17",
    "note": None,
    "notice_state": "sent",
    "strategy_id": STRATEGY_ID,
    "step_key": "action-45",
    "resolution_reason": None,
    "resolved_by": None,
    "resolved_at": None,
    "created_by": "service:dunning",
    "created_at": "2026-04-17T12:00:03Z",
    "updated_at": "2026-04-17T12:00:03Z",
}
ASSIGNMENT: Example = {"assignee_id": COLLECTOR_ID}
_STEP_INFO = {
    "key": "overdue-7",
    "kind": "overdue",
    "days": 7,
    "tone": 1,
    "channels": ["email", "whatsapp"],
    "action": None,
    "description": "Overdue reminder 7 days after the due date, tone 1 (friendly)",
    "channel": "email",
    "date": "2026-03-10",
}
_LAST_SENT = {
    "id": "0192f5b1-3e4f-7a5b-8c6d-7e8f9a0b1c2d",
    "as_of": "2026-02-28",
    "channel": "email",
    "address": "pagos@ferreterialosandes.com.ar",
    "message_id": "0192f5b1-4f5a-7b6c-9d7e-8f9a0b1c2d3e",
    "state": "sent",
    "delivery_state": "delivered",
    "error": None,
    "dispatched_at": "2026-02-28T12:00:02Z",
}
EXPLANATION: Example = {
    "customer": {
        "id": CUSTOMER_ID,
        "name": "Ferretería Los Andes S.R.L.",
        "vip": False,
        "segment": "mayorista",
        "risk_level": "medium",
        "computed_risk_level": "high",
        "tags": ["cuenta-clave", "zona-norte"],
        "country": "AR",
        "deleted": False,
    },
    "as_of": "2026-03-10",
    "business_day": True,
    "closed_reason": None,
    "next_business_day": "2026-03-11",
    "strategy": {
        "id": STRATEGY_ID,
        "name": "Mayoristas",
        "version": 3,
        "manual_only": False,
        "priority": 10,
        "is_default": False,
    },
    "strategy_reason": "segment mayorista, risk medium, country AR, ARS 125000.00 overdue (at least 50000)",
    "paused": None,
    "channels": [
        {"channel": "email", "address": "pagos@ferreterialosandes.com.ar", "usable": True, "problem": None},
        {"channel": "whatsapp", "address": "+5491145556677", "usable": True, "problem": None},
        {"channel": "sms", "address": None, "usable": False, "problem": "no contact"},
    ],
    "invoices": [
        {
            "invoice_id": INVOICE_ID,
            "number": "A-0001-00000451",
            "status": "normal",
            "currency": "ARS",
            "open_amount": "125000.00",
            "due_date": "2026-03-03",
            "days_overdue": 7,
            "outcome": "due",
            "reason": "due",
            "detail": "Step overdue-7 is due today by email",
            "due_step": _STEP_INFO,
            "last_step": {
                "step_key": "pre_due-3",
                "as_of": "2026-02-28",
                "channel": "email",
                "state": "sent",
                "delivery_state": "delivered",
                "dispatched_at": "2026-02-28T12:00:02Z",
            },
            "next_step": {
                **_STEP_INFO,
                "key": "overdue-15",
                "days": 15,
                "tone": 2,
                "channels": ["email", "sms"],
                "description": "Overdue reminder 15 days after the due date, tone 2 (concerned)",
                "date": "2026-03-18",
            },
        }
    ],
    "planned": [_PLANNED],
    "history": [
        {
            **_LAST_SENT,
            "kind": "pre_due",
            "tone": 1,
            "invoice_ids": [INVOICE_ID],
            "step_keys": ["pre_due-3"],
            "fallbacks": [],
        }
    ],
}
FORECAST: Example = {
    "from": "2026-03-16",
    "to": "2026-03-17",
    "preview_strategy_id": None,
    "assumptions": "Nobody pays, promises or disputes in the meantime; every message is sent on its first channel",
    "days": [
        {
            "date": "2026-03-16",
            "business_day": True,
            "closed_reason": None,
            "communications": 214,
            "tasks": 6,
            "invoices": 388,
            "by_channel": {"email": 190, "sms": 18, "whatsapp": 6, "task": 6},
            "by_step": [
                {
                    "strategy_id": STRATEGY_ID,
                    "strategy": "Mayoristas",
                    "step_key": "overdue-15",
                    "kind": "overdue",
                    "tone": 2,
                    "invoices": 57,
                }
            ],
        },
        {
            "date": "2026-03-17",
            "business_day": True,
            "closed_reason": None,
            "communications": 198,
            "tasks": 4,
            "invoices": 342,
            "by_channel": {"email": 180, "sms": 14, "whatsapp": 4, "task": 4},
            "by_step": [],
        },
    ],
    "totals": {"communications": 412, "tasks": 10, "invoices": 730},
}
DUNNING_SETTINGS_OUT: Example = {
    "country": "AR",
    "timezone": "America/Argentina/Buenos_Aires",
    "language": "es",
    "today": "2026-03-16",
    "business_day_today": True,
    "automatic": True,
    "run_hour": 9,
    "tolerances": {"ARS": "500.00", "USD": "5.00"},
    "holiday_subdivision": None,
    "extra_holidays": ["2026-12-24", "2026-12-31"],
    "action_owner_id": None,
    "reply_pause_days": 3,
    "fee_rules": [{"key": "interest", "kind": "interest", "annual_rate": "45", "grace_days": 10}],
    "legal_max_annual_rate": "75",
    "last_resync": {
        "status": "completed",
        "started_at": "2026-03-02T06:00:00Z",
        "finished_at": "2026-03-02T06:02:41Z",
        "customers": 2310,
        "invoices": 5877,
        "customers_deleted": 2,
        "invoices_missing": 0,
        "error": None,
    },
}
RESYNC_ACCEPTED: Example = {
    "status": "queued",
    "detail": "The resync runs in the background; see last_resync in the settings",
}
