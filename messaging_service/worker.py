from messaging_service.models import SCHEMA
from messaging_service.settings import MessagingSettings
from shared.worker import worker_settings

settings = MessagingSettings()

WorkerSettings = worker_settings(settings, schema=SCHEMA, handlers={})
