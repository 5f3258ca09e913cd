from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class DunningSettings(ServiceSettings):
    service_name: ClassVar[str] = "dunning"
    model_config = SettingsConfigDict(env_prefix="DUNNING_", extra="ignore")
