"""Event routing is declared by the consumers (issue 16): each service lists what its worker reads, and the outbox
relay routes by those lists; a worker whose handlers disagree with its list refuses to start."""

import importlib

import pytest

from shared.contracts.gateway import TenantChanged
from shared.contracts.receivables import CustomerChanged, OutcomeRecorded
from shared.contracts.subscriptions import SUBSCRIPTIONS, check_handlers, consumers_of
from shared.messages import REGISTRY

WORKERS = {
    "receivables": "services.receivables.worker",
    "dunning": "dunning_service.worker",
    "messaging": "messaging_service.worker",
    "alarms": "alarms_service.worker",
    "webhooks": "services.webhooks.worker",
}
SERVICES = tuple(WORKERS)


@pytest.mark.parametrize("service", SERVICES)
def test_each_worker_handles_exactly_what_its_service_subscribes_to(service: str) -> None:
    worker = importlib.import_module(WORKERS[service])
    assert frozenset(worker.HANDLERS) == SUBSCRIPTIONS[service]


def test_a_message_goes_to_the_services_that_subscribe_to_it() -> None:
    assert CustomerChanged.consumers == consumers_of(CustomerChanged) == ("alarms", "dunning")
    assert TenantChanged.consumers == ("alarms", "dunning", "messaging", "receivables")
    assert OutcomeRecorded.consumers == ("alarms",)  # the contact-rate alarm counts the contacts (issue 18)


def test_every_subscription_names_a_registered_message() -> None:
    registered = set(REGISTRY.values())
    for service, messages in SUBSCRIPTIONS.items():
        assert messages <= registered, service


def test_a_worker_handling_what_it_does_not_subscribe_to_refuses_to_start() -> None:
    with pytest.raises(RuntimeError, match="handles what it does not subscribe to \\(OutcomeRecorded\\)"):
        check_handlers("messaging", SUBSCRIPTIONS["messaging"] | {OutcomeRecorded})


def test_a_worker_missing_a_handler_for_its_subscription_refuses_to_start() -> None:
    with pytest.raises(RuntimeError, match="subscribes to what it does not handle \\(CustomerChanged\\)"):
        check_handlers("dunning", SUBSCRIPTIONS["dunning"] - {CustomerChanged})
