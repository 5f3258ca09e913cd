from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

# Seconds to wait after each failed attempt (the 1st, 2nd, ...): 3 days and 3 hours in all, ten attempts; then
# the delivery is abandoned (a replay can still send it).
RETRY_SCHEDULE_SECONDS: list[float] = [5, 300, 1800, 7200, 18000, 36000, 36000, 86400, 86400]


class WebhooksSettings(ServiceSettings):
    service_name: ClassVar[str] = "webhooks"
    model_config = SettingsConfigDict(env_prefix="WEBHOOKS_", extra="ignore")

    # Small pools (README, "Connection budget"): the app answers few requests, the worker's loop holds at most two
    # connections at once (a claim, a record) besides its consumer and relay.
    db_pool_size: int = 2
    db_max_overflow: int = 1
    db_fast_pool_size: int = 1  # the app never uses the fast read pool (it opens connections only when used)
    # Tight: an ERP endpoint that is slow must not hold the worker (issue 14).
    connect_timeout_seconds: float = 3.0
    timeout_seconds: float = 10.0
    retry_schedule_seconds: list[float] = Field(default_factory=lambda: list(RETRY_SCHEDULE_SECONDS))
    # A claimed delivery is hidden this long; a worker that died with it leaves it due again afterwards.
    lease_seconds: float = 60.0
    # The delivery loop: deliveries claimed per pass, sent at most this many at once, pause when idle.
    delivery_loop_enabled: bool = True
    delivery_batch_size: int = 200
    delivery_concurrency: int = 50
    # Requests in flight to one endpoint (per worker process): a slow endpoint with a backlog holds this many
    # slots at most, the others go on.
    max_in_flight_per_endpoint: int = 10
    delivery_interval_seconds: float = 0.5
    max_connections: int = 200
    user_agent: str = "cobranza-webhooks/1.0"
    # Finished deliveries (and their attempts) and events are kept this long: the log and what a replay can send.
    retention_days: int = 30
    # How long a rotated secret keeps signing when the rotation does not say (the receiver's time to switch).
    rotation_overlap_seconds: int = 24 * 3600
