"""Examples of alarms' response bodies, for the OpenAPI document (``json_schema_extra`` of the schemas), around
the broken-promises digest of ``DigestOut``'s own example (2026-11-23, to the collector Carla).
``tests/platform/test_examples.py`` validates every example against its schema."""

from typing import Any

RUN_ID = "6f1c1f8e-2b59-4a43-9a57-2f0f1f3c9a10"
ADMIN_ID = "0192f5a3-1a2b-7c3d-8e4f-5a6b7c8d9e01"

ALARM_SETTINGS_OUT: dict[str, Any] = {
    "timezone": "America/Argentina/Buenos_Aires",
    "language": "es",
    "today": "2026-11-23",
    "actions": {
        "enabled": True,
        "cadence": "daily",
        "hour": 8,
        "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "next_at": "2026-11-24T11:00:00Z",
    },
    "broken_promises": {
        "enabled": True,
        "cadence": "daily",
        "hour": 8,
        "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "next_at": "2026-11-24T11:00:00Z",
        "lookback_days": 7,
    },
    "payments_reported": {
        "enabled": True,
        "cadence": "weekly",
        "weekday": "friday",
        "hour": 8,
        "next_at": "2026-11-27T11:00:00Z",
        "threshold_days": 7,
    },
    "disputes": {
        "enabled": True,
        "cadence": "weekly",
        "weekday": "monday",
        "hour": 8,
        "next_at": "2026-11-30T11:00:00Z",
    },
    "tasks_overdue": {
        "enabled": True,
        "cadence": "daily",
        "hour": 8,
        "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "next_at": "2026-11-24T11:00:00Z",
    },
    "unassigned_customers": {
        "enabled": True,
        "cadence": "daily",
        "hour": 9,
        "weekdays": ["monday"],
        "next_at": "2026-11-30T12:00:00Z",
    },
    "workload": {
        "enabled": True,
        "cadence": "weekly",
        "weekday": "monday",
        "hour": 8,
        "next_at": "2026-11-30T11:00:00Z",
        "spread_percent": 50,
    },
    "overdue_threshold": {
        "enabled": True,
        "cadence": "daily",
        "hour": 8,
        "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "next_at": "2026-11-24T11:00:00Z",
        "thresholds": {"ARS": "1000000.00", "USD": "5000.00"},
    },
    "contact_rate": {
        "enabled": True,
        "cadence": "weekly",
        "weekday": "monday",
        "hour": 8,
        "next_at": "2026-11-30T11:00:00Z",
        "contacts_per_day": 20,
    },
    "warning_signs": {
        "enabled": False,
        "cadence": "weekly",
        "weekday": "monday",
        "hour": 8,
        "next_at": None,
    },
    "plans_broken": {
        "enabled": True,
        "cadence": "daily",
        "hour": 8,
        "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "next_at": "2026-11-24T11:00:00Z",
        "lookback_days": 30,
    },
}
RUN_OUT: dict[str, Any] = {
    "id": RUN_ID,
    "as_of": "2026-11-23",
    "trigger": "schedule",
    "alarms": ["actions", "broken_promises"],
    "dry_run": False,
    "status": "completed",
    "counts": {"digests": 6, "rows": 41, "already_sent": 0},
    "unrouted": [
        {
            "alarm": "broken_promises",
            "audience": "collector",
            "reason": "no_collector",
            "recipient_id": None,
            "rows": 2,
            "customers": 1,
        }
    ],
    "requested_by": None,
    "error": None,
    "created_at": "2026-11-23T11:00:00Z",
    "finished_at": "2026-11-23T11:00:02Z",
}
DIGEST_OUT: dict[str, Any] = {
    "id": "0b7d2c4e-8f7a-4a8e-bb1a-2d5d4f1e9c21",
    "run_id": "6f1c1f8e-2b59-4a43-9a57-2f0f1f3c9a10",
    "alarm": "broken_promises",
    "audience": "collector",
    "period": "2026-11-23",
    "as_of": "2026-11-23",
    "recipient": {
        "id": "5d0c1a52-97b4-4f55-a3a5-2c6b0f1f7f0e",
        "kind": "user",
        "user_id": "5d0c1a52-97b4-4f55-a3a5-2c6b0f1f7f0e",
        "name": "Carla Cobradora",
        "email": "carla@empresa.example",
    },
    "language": "es",
    "row_count": 1,
    "customers": 1,
    "totals": {"ARS": "1500.00"},
    "title": "Promesas de pago incumplidas",
    "summary": "1 cliente con promesas de pago incumplidas, saldo $1.500,00. Deben ser gestionados con suma urgencia.",
    "lines": ["Ferretería Norte: 1 promesa incumplida (A-1 prometida para el 20 nov 2026)"],
    "action": "Comuníquese hoy con cada cliente y registre el resultado de la gestión.",
    "status": "sent",
    "idempotency_key": "alarms:…:broken_promises:collector:…:2026-11-23",
    "created_at": "2026-11-23T11:00:02Z",
    "rows": None,
}
RUN_DETAIL: dict[str, Any] = {**RUN_OUT, "digests": [DIGEST_OUT]}
LOGIN_ALERT_OUT: dict[str, Any] = {
    "id": "0192f5b3-8c9d-7e0f-9a1b-3c4d5e6f7a8b",
    "username": "lucia.fernandez@andina.com.ar",
    "address": "181.47.12.203",
    "failures": 20,
    "window_seconds": 900,
    "occurred_at": "2026-11-21T03:14:55Z",
    "recipients": ["lucia.fernandez@andina.com.ar", "sistemas@andina.com.ar"],
}
INBOX_ITEM_OUT: dict[str, Any] = {
    "id": "0193a3c1-6f2e-7d41-9b1a-5c2f8e4d7a10",
    "kind": "digest",
    "source_id": "0b7d2c4e-8f7a-4a8e-bb1a-2d5d4f1e9c21",
    "alarm": "tasks_overdue",
    "period": "2026-11-23",
    "title": "Tareas vencidas",
    "summary": "Tiene 2 tareas vencidas sin completar.",
    "lines": [
        "Conciliar el depósito (Ferretería Norte): vencida el 20 nov 2026 (3 días)",
        "Enviar estado de cuenta: vencida el 18 nov 2026 (5 días)",
    ],
    "action": "Complete cada tarea o reprograme su vencimiento.",
    "row_count": 2,
    "created_at": "2026-11-23T11:00:04Z",
    "acknowledged_at": None,
}
