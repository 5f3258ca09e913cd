from fastapi import FastAPI

from dunning_service.settings import DunningSettings
from shared.app import create_service_app


def create_app(settings: DunningSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or DunningSettings(),
        title="cobranza dunning",
        description="Strategies, daily dunning runs, action items, explain and forecast.",
        routers=[],
    )
