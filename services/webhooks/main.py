"""The webhooks HTTP app: endpoints, secrets, the delivery log, replays; the catalogue in the OpenAPI
``webhooks`` section."""

from fastapi import FastAPI

from services.webhooks.deliveries.catalogue import document_webhooks
from services.webhooks.deliveries.router import events_router
from services.webhooks.deliveries.router import router as deliveries_router
from services.webhooks.endpoints.router import router as endpoints_router
from services.webhooks.settings import WebhooksSettings
from services.webhooks.tenant_settings.router import internal_router, settings_router
from services.webhooks.test_clock.router import router as test_clock_router
from shared.app import create_service_app

TAGS = [
    {
        "name": "webhooks",
        "description": "Signed webhooks out to integrations (Standard Webhooks): endpoints and their secrets, "
        "the delivery log, test pings, replays, the events. Payloads: the `webhooks` section.",
    },
]


def create_app(settings: WebhooksSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or WebhooksSettings(),
        title="cobranza webhooks",
        description="Webhooks out to integrations: endpoints, deliveries, replays.",
        routers=[
            endpoints_router,
            deliveries_router,
            events_router,
            settings_router,
            internal_router,
            test_clock_router,
        ],
        tags=TAGS,
    )
    document_webhooks(app)
    return app
