"""Examples of the portal's API bodies for the OpenAPI document (``tests/platform/test_examples.py`` validates
every example against its schema)."""

from typing import Any

CUSTOMER_ID = "7b1d6a8e-8a4f-4f7e-9a39-6a3a3b8e2f10"
LINK_ID = "2c6f1e0a-4b7d-4e2a-9c1f-8d3b5a7e9f21"

SETTINGS_OUT: dict[str, Any] = {
    "enabled": True,
    "link_valid_days": 30,
    "pay_online": True,
    "plan_max_installments": 3,
    "plan_min_down_payment_percent": "20.00",
    "plan_min_amount": "50000.00",
    "plan_max_amount": None,
    "promise_max_days": 30,
    "dispute_areas": {
        "price": "0c6f1f9e-5d1a-4c3b-9b8e-2f4a6d8c0e11",
        "not_received": "5b7e2a41-9c3d-4e8f-a1b2-c3d4e5f60718",
    },
    "links_revoked_before": None,
}
LINK_OUT: dict[str, Any] = {
    "id": LINK_ID,
    "customer_id": CUSTOMER_ID,
    "message_id": "9e2d4c1b-7a3f-4b8e-a1d2-3c4b5e6f7a81",
    "channel": "whatsapp",
    "language": "es",
    "issued_by": "service:messaging",
    "issued_at": "2026-12-01T13:00:04Z",
    "expires_at": "2026-12-31T13:00:04Z",
    "revoked_at": None,
    "state": "open",
    "opens": 2,
    "last_opened_at": "2026-12-01T18:42:10Z",
}
LINK_CREATED: dict[str, Any] = {
    **LINK_OUT,
    "message_id": None,
    "channel": None,
    "issued_by": "user:4f0c2a9e-6b1d-4c3e-8f2a-1b3c5d7e9f10",
    "opens": 0,
    "last_opened_at": None,
    "url": "https://cobranza.andina.com.ar/portal/Q2hY3r0Kx9sVbT1mN4pL7w",
}
ACTION_OUT: dict[str, Any] = {
    "id": "5a7c9e1b-3d5f-4a2c-8e0b-6d4f2a1c3e57",
    "link_id": LINK_ID,
    "customer_id": CUSTOMER_ID,
    "kind": "promise",
    "detail": {"promised_date": "2026-12-10", "invoice_ids": []},
    "result": {"outcome_id": "0f3e5d7c-9b1a-4c2e-8d6f-4a2c0e8b6d19"},
    "ip": "190.210.12.44",
    "user_agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131 Mobile",
    "at": "2026-12-01T18:44:02Z",
}
