"""Messaging tests run against real peers on loopback: an aiosmtpd SMTP server, the provider stub over HTTP,
and the gateway served on a real port (for signed provider callbacks)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from messaging_service.stubs.provider import ProviderStub
from messaging_service.stubs.smtp_server import MaildirHandler
from tests.messaging.support import Mailbox, Provider
from tests.support import free_port, serve_on_loopback


@pytest.fixture
async def mailbox(tmp_path: Path) -> AsyncIterator[Mailbox]:
    from aiosmtpd.controller import Controller

    port = free_port()
    handler = MaildirHandler(tmp_path / "mail", quiet=True)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Mailbox(port, handler)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
async def provider_server() -> AsyncIterator[Provider]:
    stub = ProviderStub()
    async with serve_on_loopback(stub.app, free_port()) as url:
        yield Provider(url, stub)


@pytest.fixture
async def provider(provider_server: Provider) -> Provider:
    stub = provider_server.stub
    stub.forget()  # also the callbacks a previous test left retrying
    stub.requests.clear()
    stub.faults.clear()
    stub.messages.clear()
    stub.callbacks.clear()
    stub.twilio_accounts.clear()
    stub.auto_statuses = []
    stub.whatsapp_webhook_url = None
    stub.whatsapp_app_secret = None
    return provider_server


@pytest.fixture(scope="session")
async def public_gateway(stack) -> AsyncIterator[str]:
    """The in-process gateway served on a real loopback port, so the provider stub can call it back."""
    async with serve_on_loopback(stack.gateway, free_port()) as url:
        yield url
