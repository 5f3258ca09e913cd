from fastapi import FastAPI

from dunning_service.action_items.router import router as action_items_router
from dunning_service.experiments.router import router as experiments_router
from dunning_service.insight.router import explain_router, forecast_router
from dunning_service.projection.router import router as projection_router
from dunning_service.runs.internal_router import router as dispatched_router
from dunning_service.runs.router import router as runs_router
from dunning_service.settings import DunningSettings
from dunning_service.strategies.router import router as strategies_router
from dunning_service.tenant_settings.router import router as settings_router
from dunning_service.test_clock.router import router as test_clock_router
from shared.app import create_service_app

TAGS = [
    {"name": "strategies", "description": "Who is reminded of what, when, on which channel, in which tone."},
    {
        "name": "strategy-experiments",
        "description": "A/B/n tests of strategies: customers dealt to variants, results with confidence intervals.",
    },
    {"name": "dunning-runs", "description": "Daily runs (scheduled or on demand), dry runs, what they sent."},
    {"name": "action-items", "description": "Actions decided by action steps or people: suspend, legal, write off."},
    {"name": "dunning-explain", "description": "Why a customer did or didn't get a message."},
    {"name": "dunning-forecast", "description": "What the strategies will send over the next days."},
    {
        "name": "dunning-settings",
        "description": "Run hour, tolerances, holidays, reply pause; the action owner (read-only: set in receivables' "
        "settings); projection resync.",
    },
]


def create_app(settings: DunningSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or DunningSettings(),
        title="cobranza dunning",
        description="Strategies, daily dunning runs, action items, explain and forecast.",
        routers=[
            strategies_router,
            experiments_router,
            runs_router,
            action_items_router,
            explain_router,
            forecast_router,
            settings_router,
            projection_router,
            test_clock_router,
            dispatched_router,
        ],
        tags=TAGS,
    )
