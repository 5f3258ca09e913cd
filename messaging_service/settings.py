from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class MessagingSettings(ServiceSettings):
    service_name: ClassVar[str] = "messaging"
    model_config = SettingsConfigDict(env_prefix="MESSAGING_", extra="ignore")
