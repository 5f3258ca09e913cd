from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AlarmsSettings(ServiceSettings):
    service_name: ClassVar[str] = "alarms"
    model_config = SettingsConfigDict(env_prefix="ALARMS_", extra="ignore")

    # Lines an email shows; the rest are counted in a last line (the digest keeps every row: GET /v1/alarms/{id}).
    digest_max_lines: int = 100
    # Communications per messaging.send_communications command.
    command_batch_size: int = 100
    # A scheduled run whose receivables look-ups keep failing is given up (status failed) after this many tries.
    run_max_tries: int = 12
