from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class DunningSettings(ServiceSettings):
    service_name: ClassVar[str] = "dunning"
    model_config = SettingsConfigDict(env_prefix="DUNNING_", extra="ignore")

    # A real run is planned in one transaction, then handed over in this many parts (customers by hash), one
    # transaction each, by any worker: a crash loses at most the part being handed over, which the next takes.
    run_parts: int = 8
    # Parts handed over at once, across all workers: each is one busy PostgreSQL backend, so about the database's
    # cores (more only queue up on them, each holding its work_mem).
    run_parallel_parts: int = 2
    # Pause after each part: spreads a large run's load on messaging (0: as fast as possible).
    run_part_pause_seconds: float = 0.0
    # Communications per messaging.send_communications command (one arq job carries many commands).
    command_batch_size: int = 100
    # A communication not accepted by messaging after this long no longer blocks its step: it is retried.
    pending_expiry_hours: int = 48
    # A run that finds another run of the tenant in progress waits this long for it, then gives its worker
    # slot back and tries again after ``run_lock_retry_seconds``.
    run_lock_wait_seconds: float = 30.0
    run_lock_retry_seconds: int = 20
    # How many planned communications a dry run returns inline (the counts always cover everything).
    dry_run_plan_limit: int = 200
    # A dry run is computed by the worker; its request waits this long for the result (201 with the plan), then
    # answers 202 with the run to poll: no request comes near the gateway's upstream timeout (30 s).
    dry_run_wait_seconds: float = 5.0
    # Page size of the resync's reads of the receivables API.
    resync_page_size: int = 500
