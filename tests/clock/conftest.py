from tests.messaging.conftest import mailbox, provider, provider_server  # noqa: F401 - the loopback peers
