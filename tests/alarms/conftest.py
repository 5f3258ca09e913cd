"""Alarms tests: the alarms app asks the real receivables app (in process) who receives the digests."""

from collections.abc import AsyncIterator

import pytest

from alarms_service.digests.directory import receivables_client
from shared.internal import InternalClient
from tests.alarms.support import routed_receivables
from tests.messaging.conftest import mailbox  # noqa: F401 - the real SMTP server on loopback, for the e2e test


@pytest.fixture(autouse=True)
async def receivables_in_process(stack) -> AsyncIterator[InternalClient]:
    client = routed_receivables(stack)
    app = stack.services["alarms"]

    async def routed() -> InternalClient:
        return client

    app.dependency_overrides[receivables_client] = routed
    try:
        yield client
    finally:
        app.dependency_overrides.pop(receivables_client, None)
        await client.http.aclose()
