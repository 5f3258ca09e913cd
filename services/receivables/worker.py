from services.receivables.models import SCHEMA
from services.receivables.people.handlers import on_user_changed
from services.receivables.settings import ReceivablesSettings
from shared.contracts.gateway import UserChanged
from shared.worker import worker_settings

settings = ReceivablesSettings()

HANDLERS = {UserChanged: on_user_changed}

WorkerSettings = worker_settings(settings, schema=SCHEMA, handlers=HANDLERS)
