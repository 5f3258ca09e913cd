from arq import cron
from arq.worker import func

from alarms_service.digests.jobs import RUN_JOB, SCHEDULE_JOB, SWEEP_JOB, run_alarms, schedule_runs, sweep_runs
from alarms_service.login_alerts.handlers import on_login_failures_exceeded
from alarms_service.models import SCHEMA
from alarms_service.projection.calendars import on_calendar_changed
from alarms_service.projection.handlers import (
    on_action_item_changed,
    on_customer_changed,
    on_customers_changed,
    on_invoice_changed,
    on_invoices_changed,
    on_outcome_recorded,
    on_payment_plan_changed,
    on_promise_broken,
    on_task_changed,
    on_tenant_changed,
    on_user_changed,
    on_warning_signs_changed,
)
from alarms_service.settings import AlarmsSettings
from alarms_service.webhook_alerts.handlers import on_webhook_endpoint_disabled
from shared.contracts.dunning import ActionItemChanged, CalendarChanged
from shared.contracts.gateway import LoginFailuresExceeded, TenantChanged, UserChanged
from shared.contracts.receivables import (
    CustomerChanged,
    CustomersChanged,
    InvoiceChanged,
    InvoicesChanged,
    OutcomeRecorded,
    PaymentPlanChanged,
    PromiseBroken,
    TaskChanged,
    WarningSignsChanged,
)
from shared.contracts.webhooks import WebhookEndpointDisabled
from shared.inbox import Handlers
from shared.worker import worker_settings

settings = AlarmsSettings()

HANDLERS: Handlers = {
    TenantChanged: on_tenant_changed,
    UserChanged: on_user_changed,
    CustomerChanged: on_customer_changed,
    CustomersChanged: on_customers_changed,
    InvoiceChanged: on_invoice_changed,
    InvoicesChanged: on_invoices_changed,
    PromiseBroken: on_promise_broken,
    ActionItemChanged: on_action_item_changed,
    CalendarChanged: on_calendar_changed,
    LoginFailuresExceeded: on_login_failures_exceeded,
    WebhookEndpointDisabled: on_webhook_endpoint_disabled,
    TaskChanged: on_task_changed,
    OutcomeRecorded: on_outcome_recorded,
    WarningSignsChanged: on_warning_signs_changed,
    PaymentPlanChanged: on_payment_plan_changed,
}

FUNCTIONS = [
    # Retries while receivables cannot name the recipients (see run_alarms); the timeout bounds how long arq
    # waits before it takes up again a run whose worker died.
    func(run_alarms, name=RUN_JOB, max_tries=settings.run_max_tries + 1, timeout=600),
]

WorkerSettings = worker_settings(
    settings,
    schema=SCHEMA,
    handlers=HANDLERS,
    functions=FUNCTIONS,
    cron_jobs=[
        cron(schedule_runs, name=SCHEDULE_JOB, minute={0, 15, 30, 45}, run_at_startup=True),
        # runs whose job or worker was lost resume within a minute (digests.jobs)
        cron(sweep_runs, name=SWEEP_JOB, second={0, 30}, run_at_startup=True),
    ],
)
