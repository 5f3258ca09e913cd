"""Messaging: templates and delivery over email, SMS and WhatsApp."""

from fastapi import FastAPI

from services.messaging.inbound.router import router as replies_router
from services.messaging.inbound.webhooks import router as webhooks_router
from services.messaging.messages.router import router as messages_router
from services.messaging.optouts.router import invalid_router
from services.messaging.optouts.router import router as optout_router
from services.messaging.optouts.unsubscribe import router as unsubscribe_router
from services.messaging.partials.router import router as partials_router
from services.messaging.settings import MessagingSettings
from services.messaging.templates.router import router as templates_router
from services.messaging.tenant_settings.router import router as settings_router
from services.messaging.test_clock.router import router as test_clock_router
from shared.app import create_service_app

TAGS = [
    {"name": "templates", "description": "Message templates per kind, channel, language and tone; shipped defaults."},
    {"name": "messages", "description": "Every message sent: state, attempts, resend, daily counts; replies."},
    {"name": "messaging-settings", "description": "Channels, contact windows, caps, providers; invalid contacts."},
    {"name": "opt-out", "description": "Customers who asked not to be contacted on a channel."},
]


def create_app(settings: MessagingSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or MessagingSettings(),
        title="cobranza messaging",
        description="Templates and delivery over email, SMS and WhatsApp.",
        routers=[
            partials_router,  # before the templates' /{template_id}
            templates_router,
            messages_router,
            replies_router,
            settings_router,
            invalid_router,
            optout_router,
            webhooks_router,
            unsubscribe_router,
            test_clock_router,
        ],
        tags=TAGS,
    )
