from dunning_service.models import SCHEMA
from dunning_service.settings import DunningSettings
from shared.worker import worker_settings

settings = DunningSettings()

WorkerSettings = worker_settings(settings, schema=SCHEMA, handlers={})
