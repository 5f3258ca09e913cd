"""The portal HTTP app: the customer's own page under ``/portal/`` (public: the link's token is the credential;
server-rendered, mobile first, es/en/pt) and, under ``/v1``, what the tenant's people manage: links, the audit of
debtors' actions, the portal's settings."""

from fastapi import FastAPI

from services.portal.actions.router import router as debtor_actions_router
from services.portal.audit.router import router as actions_router
from services.portal.checkout.router import router as checkout_router
from services.portal.links.router import router as links_router
from services.portal.pages.errors import install_error_pages
from services.portal.pages.router import router as pages_router
from services.portal.pages.security import PortalHeaders
from services.portal.receipts.router import router as receipts_router
from services.portal.settings import PortalSettings
from services.portal.tenant_settings.router import router as settings_router
from services.portal.test_clock.router import router as test_clock_router
from shared.app import create_service_app

TAGS = [
    {
        "name": "portal",
        "description": "The customer's own page (issue 17): the links messages carry to it, what debtors did "
        "there (paid, reported a payment, promised, disputed, asked for a call or a plan), the portal's settings.",
    },
]


def create_app(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()
    app = create_service_app(
        settings,
        title="cobranza portal",
        description="The customer's own page, its links and its audit.",
        routers=[
            links_router,
            actions_router,
            receipts_router,
            settings_router,
            test_clock_router,
            checkout_router,
            debtor_actions_router,
            pages_router,
        ],
        tags=TAGS,
    )
    install_error_pages(app)
    app.add_middleware(PortalHeaders)
    return app
