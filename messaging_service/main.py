"""Messaging: templates and delivery over email, SMS and WhatsApp."""

from fastapi import FastAPI

from messaging_service.calls.router import router as script_checks_router
from messaging_service.inbound.router import router as replies_router
from messaging_service.inbound.webhooks import router as webhooks_router
from messaging_service.messages.router import router as messages_router
from messaging_service.optouts.router import invalid_router
from messaging_service.optouts.router import router as optout_router
from messaging_service.optouts.unsubscribe import router as unsubscribe_router
from messaging_service.partials.router import router as partials_router
from messaging_service.settings import MessagingSettings
from messaging_service.templates.router import router as templates_router
from messaging_service.tenant_settings.router import router as settings_router
from messaging_service.test_clock.router import router as test_clock_router
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
            script_checks_router,
        ],
        tags=TAGS,
    )
