from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReceivablesSettings(ServiceSettings):
    service_name: ClassVar[str] = "receivables"
    model_config = SettingsConfigDict(env_prefix="RECEIVABLES_", extra="ignore")
