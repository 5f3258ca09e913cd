from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AlarmsSettings(ServiceSettings):
    service_name: ClassVar[str] = "alarms"
    model_config = SettingsConfigDict(env_prefix="ALARMS_", extra="ignore")
