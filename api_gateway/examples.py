"""Examples of the gateway's request and response bodies, for the OpenAPI document (``json_schema_extra`` of the
schemas). One made-up tenant throughout, Distribuidora Los Andes (Argentina), so that the ids agree across
examples. ``tests/platform/test_examples.py`` validates every example against its schema."""

from pydantic.config import JsonDict

TENANT_ID = "0192f5a0-1111-7aaa-8bbb-0c0d0e0f1a2b"
ADMIN_ID = "0192f5a3-1a2b-7c3d-8e4f-5a6b7c8d9e01"
COLLECTOR_ID = "0192f5a3-2b3c-7d4e-9f5a-6b7c8d9e0f13"
API_KEY_ID = "0192f5a3-9a8b-7c6d-8e5f-4a3b2c1d0e92"

TENANT_OUT: JsonDict = {
    "id": TENANT_ID,
    "slug": "distribuidora-andina",
    "name": "Distribuidora Los Andes S.A.",
    "country": "AR",
    "timezone": "America/Argentina/Buenos_Aires",
    "default_currency": "ARS",
    "language": "es",
    "active": True,
    "sandbox": False,
    "test_clock": None,
    "created_at": "2026-01-12T14:03:27Z",
}
TENANT_UPDATE: JsonDict = {"name": "Distribuidora Los Andes S.A.", "timezone": "America/Argentina/Cordoba"}
USER_OUT: JsonDict = {
    "id": COLLECTOR_ID,
    "email": "carla.gomez@andina.com.ar",
    "full_name": "Carla Gómez",
    "roles": ["collector"],
    "active": True,
    "created_at": "2026-01-12T14:20:05Z",
}
USER_CREATE: JsonDict = {
    "email": "carla.gomez@andina.com.ar",
    "full_name": "Carla Gómez",
    "password": "correct-horse-battery",
    "roles": ["collector"],
}
USER_UPDATE: JsonDict = {"full_name": "Carla Gómez Ibarra", "roles": ["collector", "supervisor"]}
TENANT_CREATED: JsonDict = {
    "tenant": TENANT_OUT,
    "admin": {
        "id": ADMIN_ID,
        "email": "lucia.fernandez@andina.com.ar",
        "full_name": "Lucía Fernández",
        "roles": ["admin"],
        "active": True,
        "created_at": "2026-01-12T14:03:27Z",
    },
}
API_KEY_CREATE: JsonDict = {"name": "ERP SAP producción", "roles": ["integration"], "rate_limit_per_minute": 600}
API_KEY_OUT: JsonDict = {
    "id": API_KEY_ID,
    "name": "ERP SAP producción",
    "prefix": "cbz_7Hq2xWJk",
    "roles": ["integration"],
    "rate_limit_per_minute": 600,
    "created_by": f"user:{ADMIN_ID}",
    "created_at": "2026-01-12T15:41:10Z",
    "revoked_at": None,
}
API_KEY_CREATED: JsonDict = {**API_KEY_OUT, "key": "cbz_7Hq2xWJk3pR9sT2vX8yZ1bN4mQ6wE0aL5dF7gHcRt"}
TOKEN_OUT: JsonDict = {
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkyZjVhMyIsInJvbGVzIjpbImNvbGxlY3RvciJdfQ."
    "dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    "token_type": "bearer",
    "expires_in": 900,
    "refresh_token": "rt_3k9Qz7vXbW2mL8pN4sT1yU6",
    "refresh_expires_in": 2592000,
}
ME_OUT: JsonDict = {"tenant_id": TENANT_ID, "actor": f"user:{COLLECTOR_ID}", "roles": ["collector"]}
TEST_CLOCK_START: JsonDict = {"frozen_time": "2027-01-04T09:00:00-03:00"}
TEST_CLOCK_OUT: JsonDict = {
    "tenant_id": TENANT_ID,
    "sandbox": True,
    "frozen_time": "2027-01-04T12:00:00Z",
    "timezone": "America/Argentina/Buenos_Aires",
    "today": "2027-01-04",
}
