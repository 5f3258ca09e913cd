"""Helpers for the way back of email: the local SMTP server as the MX of our bounce and reply domains, posting
what it receives to an inbound webhook on loopback, and mail sent to it over SMTP."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiosmtplib
import uvicorn
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from messaging_service.inbound.email import BounceBeforeSendRecorded, apply_inbound_email, verify_inbound_email
from messaging_service.settings import MessagingSettings
from messaging_service.stubs.smtp_server import Inbound, MaildirHandler
from shared.db import unit_of_work
from tests.messaging.support import Mailbox
from tests.support import Stack, free_port

INBOUND_PATH = "/webhooks/messaging/email/inbound"


@dataclass
class InboundMail:
    mailbox: Mailbox
    outcomes: list[str] = field(default_factory=list)  # what apply_inbound_email answered, in order

    async def send(self, raw: bytes, sender: str, recipient: str) -> None:
        """Hand a message to the SMTP server as another MTA would (``sender`` "" is the null sender of a DSN)."""
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=self.mailbox.port) as client:
            await client.sendmail(sender, [recipient], raw)

    async def wait_for(self, count: int, deadline_seconds: float = 60.0) -> list[str]:
        """Wait until the webhook has taken ``count`` messages (a generous deadline: this is no timing test)."""
        await until(lambda: len(self.outcomes) >= count, deadline_seconds)
        return self.outcomes


async def until(condition: Callable[[], bool], deadline_seconds: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.05)


def receiver(stack: Stack, settings: MessagingSettings, outcomes: list[str]) -> Starlette:
    """The inbound webhook as messaging applies it: the signature checked, then ``apply_inbound_email`` in one
    transaction, answering 2xx only once it is committed (so the SMTP server posts again otherwise)."""
    sessionmaker = async_sessionmaker(stack.engine, expire_on_commit=False)

    async def inbound(request: Request) -> Response:
        raw = await request.body()
        if not verify_inbound_email(settings, raw, request.headers.get("x-cobranza-signature")):
            return Response(status_code=403)
        try:
            async with unit_of_work(sessionmaker) as session:
                outcome = await apply_inbound_email(session, settings, raw, datetime.now(UTC))
        except BounceBeforeSendRecorded:
            return Response(status_code=503)  # posted again later, as the inbox would retry it
        outcomes.append(outcome)
        return Response(status_code=204)

    return Starlette(routes=[Route(INBOUND_PATH, inbound, methods=["POST"])])


def local_url(port: int) -> str:
    return f"http://127.0.0.1:{port}{INBOUND_PATH}"


@asynccontextmanager
async def webhook(stack: Stack, port: int, outcomes: list[str]) -> AsyncIterator[None]:
    """The receiver served on a real loopback port."""
    server = uvicorn.Server(
        uvicorn.Config(receiver(stack, MessagingSettings(), outcomes), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started)
        yield
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def mail_server(directory: Path, inbound_url: str, late_bounce_seconds: float = 0.2) -> AsyncIterator[Mailbox]:
    """The SMTP server as the MX of our domains, posting to ``inbound_url`` (which may not be listening yet)."""
    settings = MessagingSettings()
    inbound = Inbound(
        url=inbound_url,
        secret=settings.inbound_email_key(),
        domains=frozenset({settings.bounce_domain, settings.reply_domain}),
        retry_seconds=120.0,
        first_delay_seconds=0.1,
        max_delay_seconds=1.0,
    )
    smtp_port = free_port()
    handler = MaildirHandler(directory, quiet=True, inbound=inbound, late_bounce_seconds=late_bounce_seconds)
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        yield Mailbox(smtp_port, handler)
    finally:
        controller.stop()


@asynccontextmanager
async def inbound_mail(stack: Stack, directory: Path) -> AsyncIterator[InboundMail]:
    """The SMTP server posting mail for our domains to the webhook, both up."""
    outcomes: list[str] = []
    port = free_port()
    async with webhook(stack, port, outcomes), mail_server(directory, local_url(port)) as mailbox:
        yield InboundMail(mailbox, outcomes)
