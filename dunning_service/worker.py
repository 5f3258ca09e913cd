from arq import cron
from arq.worker import func

from dunning_service.fees.handlers import on_charge_changed
from dunning_service.models import SCHEMA
from dunning_service.projection.handlers import (
    on_customer_changed,
    on_customers_changed,
    on_invoice_changed,
    on_invoices_changed,
    on_reply_received,
    on_tenant_changed,
    on_tenant_settings_changed,
)
from dunning_service.projection.resync import RESYNC_JOB, resync_job
from dunning_service.runs.acceptance import on_message_status_changed
from dunning_service.runs.jobs import (
    DRY_RUN_JOB,
    PARTS_JOB,
    RUN_JOB,
    SCHEDULE_JOB,
    SWEEP_JOB,
    hand_over_run_parts,
    run_dry_run,
    run_dunning,
    schedule_runs,
    sweep_runs,
)
from dunning_service.settings import DunningSettings
from shared.contracts.gateway import TenantChanged
from shared.contracts.messaging import MessageStatusChanged, ReplyReceived
from shared.contracts.receivables import (
    ChargeChanged,
    CustomerChanged,
    CustomersChanged,
    InvoiceChanged,
    InvoicesChanged,
    TenantSettingsChanged,
)
from shared.inbox import Handlers
from shared.worker import worker_settings

settings = DunningSettings()

HANDLERS: Handlers = {
    TenantChanged: on_tenant_changed,
    TenantSettingsChanged: on_tenant_settings_changed,
    CustomerChanged: on_customer_changed,
    CustomersChanged: on_customers_changed,
    InvoiceChanged: on_invoice_changed,
    InvoicesChanged: on_invoices_changed,
    MessageStatusChanged: on_message_status_changed,
    ReplyReceived: on_reply_received,
    ChargeChanged: on_charge_changed,
}

FUNCTIONS = [
    # A run waits (Retry) while another run of its tenant holds the lock: many tries. The timeout also bounds
    # how long arq waits before it picks up again a run whose worker died (a million invoices take < 1 min).
    func(run_dunning, name=RUN_JOB, max_tries=180, timeout=900),
    func(hand_over_run_parts, name=PARTS_JOB, max_tries=180, timeout=900),
    # A dry run is one transaction; tries only for a database out of reach (then the sweeper re-drives it).
    func(run_dry_run, name=DRY_RUN_JOB, max_tries=30, timeout=900),
    func(resync_job, name=RESYNC_JOB, max_tries=3, timeout=3600, keep_result=0),
]

WorkerSettings = worker_settings(
    settings,
    schema=SCHEMA,
    handlers=HANDLERS,
    functions=FUNCTIONS,
    cron_jobs=[
        cron(schedule_runs, name=SCHEDULE_JOB, minute={0, 15, 30, 45}, run_at_startup=True),
        # runs whose job or worker was lost resume within a minute (runs.jobs)
        cron(sweep_runs, name=SWEEP_JOB, second={0, 30}, run_at_startup=True),
    ],
)
