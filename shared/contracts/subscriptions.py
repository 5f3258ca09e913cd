"""Who reads which message: each consuming service declares here the messages its worker handles.

The outbox relay sends a message to the queues of the services that list it (``consumers_of``): a producer names no
consumer, and a new consumer subscribes by adding a line here and a handler in its worker. A worker refuses to start
when its handlers and its line here differ (``check_handlers``, called by ``shared.worker.worker_settings``), so the
routing can neither name a service that would drop a message nor miss one that waits for it.
"""

from collections.abc import Iterable

from shared.contracts.dunning import ActionItemChanged, CalendarChanged, ChargesAssessed
from shared.contracts.gateway import LoginFailuresExceeded, TenantChanged, UserChanged
from shared.contracts.messaging import (
    ContactInvalidated,
    MessageStatusChanged,
    OptOutRecorded,
    PortalLinksIssued,
    PrepareCallTasks,
    ReplyReceived,
    SendCommunications,
    SendDispatchedCommunications,
    WebhookReceived,
)
from shared.contracts.portal import PortalActionTaken, PortalSettingsChanged
from shared.contracts.receivables import (
    ChargeChanged,
    CreateTask,
    CustomerChanged,
    CustomersChanged,
    InvoiceChanged,
    InvoicesChanged,
    InvoiceStatusChanged,
    OutcomeRecorded,
    PaymentApplied,
    PaymentPlanChanged,
    PromiseBroken,
    PromiseKept,
    PromiseMade,
    TaskChanged,
    TenantSettingsChanged,
    WarningSignsChanged,
)
from shared.contracts.webhooks import WebhookEndpointDisabled
from shared.messages import Message

SUBSCRIPTIONS: dict[str, frozenset[type[Message]]] = {
    # the system of record learns the people, the tenants and what happened to its customers' messages
    "receivables": frozenset(
        {
            TenantChanged,
            UserChanged,
            MessageStatusChanged,
            ContactInvalidated,
            OptOutRecorded,
            ReplyReceived,
            CreateTask,
            ChargesAssessed,  # issue 19: late charges, recorded once each by key
        }
    ),
    # dunning keeps its projection of the portfolio and learns each communication's fate
    "dunning": frozenset(
        {
            TenantChanged,
            CustomerChanged,
            CustomersChanged,
            InvoiceChanged,
            InvoicesChanged,
            MessageStatusChanged,
            ReplyReceived,
            TenantSettingsChanged,  # the action owner: receivables owns it (issue 16)
            ChargeChanged,  # a late charge waived or invoiced leaves the messages (issue 19)
        }
    ),
    # messaging sends what dunning decided, on the tenant's calendar, and takes the providers' callbacks; its
    # messages carry links to the customer's page while the tenant's portal is on; it renders call steps' scripts
    "messaging": frozenset(
        {
            SendCommunications,
            SendDispatchedCommunications,
            PrepareCallTasks,
            TenantChanged,
            CalendarChanged,
            WebhookReceived,
            PortalSettingsChanged,
        }
    ),
    # alarms keeps its own projection and raises the alarms of seed 000, the manager's alarms and the weekly
    # warning signs of issue 18 (tasks, contacts, signs), and the admins' alerts
    "alarms": frozenset(
        {
            TenantChanged,
            UserChanged,
            CustomerChanged,
            CustomersChanged,
            InvoiceChanged,
            InvoicesChanged,
            PromiseBroken,
            ActionItemChanged,
            CalendarChanged,
            LoginFailuresExceeded,
            WebhookEndpointDisabled,
            TaskChanged,
            OutcomeRecorded,
            WarningSignsChanged,
            PaymentPlanChanged,  # a broken plan: the plans_broken alarm (issue 19)
        }
    ),
    # webhooks turns the facts integrations care about into its catalogue's events
    "webhooks": frozenset(
        {
            InvoiceStatusChanged,
            PaymentApplied,
            PromiseMade,
            PromiseKept,
            PromiseBroken,
            ActionItemChanged,
            MessageStatusChanged,
            ContactInvalidated,
            OptOutRecorded,
            ReplyReceived,
            PortalActionTaken,  # what a debtor did on its page (issue 17)
            ChargeChanged,  # issue 19: late charges recorded, waived, invoiced
            PaymentPlanChanged,  # a payment plan's life (issue 19)
        }
    ),
    # the portal keeps the links messages carry to the customer's own page (issue 17)
    "portal": frozenset({PortalLinksIssued}),
}


def consumers_of(message: type[Message]) -> tuple[str, ...]:
    """The services whose queues receive ``message``, in a stable order."""
    return tuple(sorted(service for service, messages in SUBSCRIPTIONS.items() if message in messages))


def check_handlers(service: str, handled: Iterable[type[Message]]) -> None:
    """Refuse a worker whose handlers differ from its subscriptions: one would be dropped, or never sent."""
    declared, handled_set = SUBSCRIPTIONS.get(service, frozenset()), frozenset(handled)
    if declared != handled_set:
        missing = sorted(m.__name__ for m in declared - handled_set)
        extra = sorted(m.__name__ for m in handled_set - declared)
        raise RuntimeError(
            f"{service}'s worker handles what it does not subscribe to ({', '.join(extra) or 'nothing'}) or "
            f"subscribes to what it does not handle ({', '.join(missing) or 'nothing'}): "
            "shared/contracts/subscriptions.py and the worker's handlers must agree"
        )
