"""Alarms: the internal alarms of seed 000 and their digests."""

from fastapi import FastAPI

from alarms_service.digests.router import router as digests_router
from alarms_service.digests.router import runs_router
from alarms_service.inbox.router import router as inbox_router
from alarms_service.login_alerts.router import router as login_alerts_router
from alarms_service.settings import AlarmsSettings
from alarms_service.tenant_settings.router import router as settings_router
from alarms_service.test_clock.router import router as test_clock_router
from shared.app import create_service_app

TAGS = [
    {
        "name": "alarms",
        "description": "Digests of the internal alarms (seed 000): actions list, broken promises, payments reported "
        "but not credited, disputes; and the manager's alarms and warning signs (issue 18). What was sent, and what "
        "a digest would hold now.",
    },
    {"name": "alarm-runs", "description": "Run the alarms now (or as a dry run); the scheduled and manual runs."},
    {"name": "alarm-settings", "description": "Per alarm: on or off, local hour, days, thresholds."},
    {"name": "alarm-inbox", "description": "The calling user's alarm digests; acknowledge one or all."},
]


def create_app(settings: AlarmsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or AlarmsSettings(),
        title="cobranza alarms",
        description="The internal alarms and their digests.",
        # /v1/alarms/runs, /v1/alarms/login-alerts and /v1/alarms/inbox before /v1/alarms/{digest_id}
        routers=[runs_router, login_alerts_router, inbox_router, digests_router, settings_router, test_clock_router],
        tags=TAGS,
    )
