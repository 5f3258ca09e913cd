from fastapi import FastAPI

from alarms_service.settings import AlarmsSettings
from shared.app import create_service_app


def create_app(settings: AlarmsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or AlarmsSettings(),
        title="cobranza alarms",
        description="The internal alarms and their digests.",
        routers=[],
    )
