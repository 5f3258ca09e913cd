"""The portal worker: its inbox (the links messages carry, kept as they are announced) and its outbox relay."""

from services.portal.links.handlers import on_links_issued
from services.portal.models import SCHEMA
from services.portal.settings import PortalSettings
from shared.contracts.messaging import PortalLinksIssued
from shared.inbox import Handlers
from shared.worker import worker_settings

settings = PortalSettings()

HANDLERS: Handlers = {PortalLinksIssued: on_links_issued}

WorkerSettings = worker_settings(settings, schema=SCHEMA, handlers=HANDLERS)
