from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReceivablesSettings(ServiceSettings):
    service_name: ClassVar[str] = "receivables"
    model_config = SettingsConfigDict(env_prefix="RECEIVABLES_", extra="ignore")

    ingest_max_rows: int = 10_000  # rows per bulk request
    # The broken-promise detection runs every hour at this minute, for every tenant at its own local date.
    broken_promises_minute: int = 5
    # The warning signs' refresh looks every hour at this minute for tenants whose local day has not had one yet
    # (after the promises broken: they are a sign).
    warning_signs_minute: int = 20
    # Issue 13, point 6: ``POST /v1/warning-signs/refresh`` answers the refresh's counts when the worker completes it
    # within this wait (a small portfolio), else the refresh to poll (a large one: 11-20 s at 1M invoices).
    warning_signs_wait_seconds: float = 5.0
    # Issue 19: the broken-plan detection runs every hour at this minute, each tenant at its own local day.
    broken_plans_minute: int = 10
