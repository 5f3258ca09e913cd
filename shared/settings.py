"""Settings from the environment, with working local defaults.

Each service reads its own prefix first (``RECEIVABLES_DATABASE_URL``), then the common
``COBRANZA_`` prefix (``COBRANZA_DATABASE_URL``), then the defaults below. So a laptop needs no
configuration, a test run sets the ``COBRANZA_`` values once, and ops can override one service.
"""

from typing import ClassVar

from pydantic import model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

DEVELOPMENT_SECRET = "dev-only-internal-secret-change-me"  # noqa: S105 - refused outside development
# What the shipped templates (deploy/k8s/secret.yaml) put where a secret goes: a value still holding it was never
# replaced, and a process outside development refuses to start with it.
PLACEHOLDER_MARK = "change-me"


class ServiceSettings(BaseSettings):
    """What every service process (HTTP app and worker) needs."""

    service_name: ClassVar[str] = "service"
    model_config = SettingsConfigDict(extra="ignore")

    environment: str = "development"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/cobranza"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # The connection budget (README, "Connection budget"): every process holds at most
    # db_pool_size + db_max_overflow connections (+ db_fast_pool_size in an HTTP app); the defaults keep the twelve
    # processes of `make run` within PostgreSQL's default max_connections = 100 less a reserve of 10.
    db_pool_size: int = 5
    db_max_overflow: int = 2
    db_fast_pool_size: int = 2
    # How long a request or job waits for a pooled connection before it is answered 503 (or retried).
    db_pool_timeout_seconds: float = 5.0
    # Connections are replaced after this long, before a server, PgBouncer or firewall drops them idle.
    db_pool_recycle_seconds: int = 300
    # Behind PgBouncer in transaction mode: no prepared statement outlives its transaction.
    db_pgbouncer: bool = False
    # What a 503 for a database out of reach tells the caller to wait.
    db_unavailable_retry_after_seconds: int = 5
    # Pooled HTTP connections are dropped after this idle time: below uvicorn's keep-alive timeout (5 s), so a
    # request never goes out on a connection the server is closing.
    http_keepalive_seconds: float = 3.0
    # Shared by the gateway and the services: the gateway signs the identity it forwards with it.
    internal_secret: str = DEVELOPMENT_SECRET
    log_level: str = "INFO"
    log_json: bool = True
    # Outbox relay: how often an idle relay looks for new rows, and how many it takes at once.
    relay_enabled: bool = True
    relay_interval_seconds: float = 0.2
    relay_batch_size: int = 500
    # After Redis lost its data (restart, flush), the rows published this recently are handed over again.
    relay_replay_window_seconds: float = 3600.0
    # First delay before a failed message batch is tried again (doubling each time, up to five minutes).
    retry_base_seconds: float = 1.0
    # Base URLs of the services, for internal calls (resync, look-ups) and for the gateway's routing.
    gateway_url: str = "http://127.0.0.1:8000"
    receivables_url: str = "http://127.0.0.1:8001"
    dunning_url: str = "http://127.0.0.1:8002"
    messaging_url: str = "http://127.0.0.1:8003"
    alarms_url: str = "http://127.0.0.1:8004"
    webhooks_url: str = "http://127.0.0.1:8006"
    portal_url: str = "http://127.0.0.1:8008"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        common = EnvSettingsSource(settings_cls, env_prefix="COBRANZA_")
        return init_settings, env_settings, common, dotenv_settings, file_secret_settings

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> "ServiceSettings":
        if self.environment != "development" and self.internal_secret == DEVELOPMENT_SECRET:
            raise ValueError("internal_secret must be set outside development")
        if self.environment != "development":
            placeholders = sorted(
                name for name, value in self if isinstance(value, str) and PLACEHOLDER_MARK in value.lower()
            )
            if placeholders:
                raise ValueError(f"replace the placeholder value of {', '.join(placeholders)} outside development")
        return self

    def service_url(self, service: str) -> str:
        url: str = getattr(self, f"{service}_url")
        return url
