"""Examples of webhooks' bodies for the OpenAPI document (``json_schema_extra`` of the schemas): the demo ERP's
endpoint, a broken promise announced to it and its delivery log. ``tests/platform/test_examples.py`` validates
every example against its schema."""

from typing import Any

ENDPOINT_ID = "0b8f9c4e-3a51-4c1e-9d7a-5f2e8b6c1a90"
DELIVERY_ID = "5d0e7c2a-9b1f-4c3e-8a6d-2f4b1c9e7a35"
EVENT_ID = "msg_2f1c0e7a9b4d4e8f9a1b2c3d4e5f6a7b"

ENDPOINT_OUT: dict[str, Any] = {
    "id": ENDPOINT_ID,
    "url": "https://erp.example.com/cobranza/webhooks",
    "description": "ERP: suspend service on action items",
    "event_types": ["action_item.created", "promise.broken"],
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "failing_since": None,
    "last_success_at": "2026-12-06T14:03:11Z",
    "created_at": "2026-11-23T12:00:00Z",
    "updated_at": "2026-11-23T12:00:00Z",
}
ENDPOINT_CREATED: dict[str, Any] = {
    **ENDPOINT_OUT,
    "last_success_at": None,
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
}
SECRET_ROTATED: dict[str, Any] = {
    "secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    "previous_expires_at": "2026-12-07T14:00:00Z",
}
SETTINGS_OUT: dict[str, Any] = {"allow_private_urls": False, "disable_after_days": 5}
EVENT_OUT: dict[str, Any] = {
    "event_id": EVENT_ID,
    "type": "promise.broken",
    "occurred_at": "2026-12-06T14:03:10Z",
    "data": {
        "version": 1,
        "promise_id": "9a7c1e2b-4d5f-4a6b-8c9d-0e1f2a3b4c5d",
        "customer_external_id": "C-001",
        "invoice_external_id": "FC-A-0001-00000201",
        "promised_date": "2026-12-05",
    },
}
DELIVERY_OUT: dict[str, Any] = {
    "id": DELIVERY_ID,
    "endpoint_id": ENDPOINT_ID,
    "event_id": EVENT_ID,
    "event_type": "promise.broken",
    "state": "succeeded",
    "attempts": 2,
    "next_attempt_at": None,
    "last_status": 200,
    "last_error": None,
    "replay": False,
    "created_at": "2026-12-06T14:03:10Z",
    "updated_at": "2026-12-06T14:03:16Z",
}
ATTEMPTS: list[dict[str, Any]] = [
    {
        "id": "7e3a9c1d-2b4f-4d6e-8a0c-1e3f5a7b9c2d",
        "at": "2026-12-06T14:03:11Z",
        "status_code": 503,
        "latency_ms": 412,
        "response_excerpt": "Service Unavailable",
        "error": None,
    },
    {
        "id": "8f4b0d2e-3c5a-4e7f-9b1d-2f4a6b8c0d3e",
        "at": "2026-12-06T14:03:16Z",
        "status_code": 200,
        "latency_ms": 87,
        "response_excerpt": '{"received": true}',
        "error": None,
    },
]
DELIVERY_DETAIL: dict[str, Any] = {**DELIVERY_OUT, "attempts_log": ATTEMPTS}
REPLAY_RESULT: dict[str, Any] = {"deliveries": 1, "delivery_ids": [DELIVERY_ID]}
PING_SENT: dict[str, Any] = {"event_id": "msg_ping_4e1b9d7c2a6f4b3e8d0c1a2b3c4d5e6f", "delivery_id": DELIVERY_ID}
