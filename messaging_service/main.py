from fastapi import FastAPI

from messaging_service.settings import MessagingSettings
from shared.app import create_service_app


def create_app(settings: MessagingSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or MessagingSettings(),
        title="cobranza messaging",
        description="Templates and delivery over email, SMS and WhatsApp.",
        routers=[],
    )
