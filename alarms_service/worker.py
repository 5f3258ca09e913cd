from alarms_service.models import SCHEMA
from alarms_service.settings import AlarmsSettings
from shared.worker import worker_settings

settings = AlarmsSettings()

WorkerSettings = worker_settings(settings, schema=SCHEMA, handlers={})
