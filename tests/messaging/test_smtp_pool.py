"""Point 7 of issue 10: pooled SMTP connections are checked or renewed before use, so an email sent after the
server dropped the idle pooled connections goes out on its first attempt (a real aiosmtpd server on loopback)."""

import asyncio
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from messaging_service.channels.config import EmailConfig, SmtpConfig
from messaging_service.channels.email import SmtpPool, send_email
from messaging_service.delivery.rules import Outcome
from tests.support import free_port

RAW = b"From: a@cobranza.test\r\nTo: b@example.com\r\nSubject: Recordatorio\r\n\r\nHola\r\n"


class Counting:
    """The server's side: messages received, connections opened and closed."""

    def __init__(self) -> None:
        self.messages = 0
        self.opened = 0
        self.closed = 0
        self.drop_on_noop = False  # answer NOOP with 421 and hang up, as a server restarted behind a proxy would

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages += 1
        return "250 OK"


class Server(SMTP):
    def __init__(self, handler: Counting, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self.counting = handler

    def connection_made(self, transport) -> None:
        self.counting.opened += 1
        super().connection_made(transport)

    def connection_lost(self, exc) -> None:
        self.counting.closed += 1
        super().connection_lost(exc)

    async def smtp_NOOP(self, arg: str) -> None:
        if self.counting.drop_on_noop:
            await self.push("421 4.3.2 Service shutting down")
            self.transport.close()
            return
        await super().smtp_NOOP(arg)


class IdleTimeoutController(Controller):
    def __init__(self, handler: Counting, idle_timeout: float, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self.idle_timeout = idle_timeout

    def start(self) -> None:
        super().start()
        for _ in range(600):  # start() itself connects once to check the server is up: wait for it to go
            if self.handler.closed == self.handler.opened:
                break
            time.sleep(0.01)
        self.handler.opened = self.handler.closed = 0

    def factory(self) -> SMTP:
        return Server(self.handler, timeout=self.idle_timeout)


def email_config(port: int) -> EmailConfig:
    smtp = SmtpConfig("127.0.0.1", port, None, None, "none", timeout=10.0)
    return EmailConfig(smtp, "cobranza@cobranza.test", "Cobranza", None)


async def until(condition, what: str) -> None:
    for _ in range(600):  # a generous bound on a busy machine, not a timing assertion
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def fill(pool: SmtpPool, config: EmailConfig, count: int) -> None:
    results = await asyncio.gather(*(send_email(pool, config, RAW, "b@example.com", None) for _ in range(count)))
    assert all(r.outcome is Outcome.SENT for r in results)


async def test_an_email_after_the_server_dropped_every_idle_connection_goes_out_on_its_first_attempt():
    server = Counting()
    controller = IdleTimeoutController(server, idle_timeout=0.5, hostname="127.0.0.1", port=free_port())
    controller.start()
    pool = SmtpPool(3)
    config = email_config(controller.port)
    try:
        await fill(pool, config, 3)  # three connections in the pool
        assert server.opened == 3
        await until(lambda: server.closed == 3, "the server closed the idle connections")

        result = await send_email(pool, config, RAW, "b@example.com", "<m-1@cobranza.test>")

        assert result.outcome is Outcome.SENT, result  # the first attempt, no retry spent
        assert server.messages == 4
        assert server.opened == 4  # one new connection, none of the dead ones tried
    finally:
        await pool.close()
        controller.stop()


async def test_a_connection_idle_too_long_must_answer_a_noop_and_older_ones_are_dropped_with_it():
    server = Counting()
    controller = IdleTimeoutController(server, idle_timeout=300, hostname="127.0.0.1", port=free_port())
    controller.start()
    pool = SmtpPool(3, check_after_idle_seconds=0.0)  # every reuse is checked
    config = email_config(controller.port)
    try:
        await fill(pool, config, 3)
        assert server.opened == 3
        server.drop_on_noop = True  # the connections look open to the client but are dead at the other end

        result = await send_email(pool, config, RAW, "b@example.com", "<m-2@cobranza.test>")

        assert result.outcome is Outcome.SENT, result
        assert server.messages == 4
        assert server.opened == 4  # one NOOP failed; the two that sat idle longer were dropped untried
        await until(lambda: server.closed == 3, "the dead connections closed")
    finally:
        await pool.close()
        controller.stop()


async def test_a_connection_idle_beyond_the_limit_is_replaced_unused():
    server = Counting()
    controller = IdleTimeoutController(server, idle_timeout=300, hostname="127.0.0.1", port=free_port())
    controller.start()
    pool = SmtpPool(2, max_idle_seconds=0.0)
    config = email_config(controller.port)
    try:
        await fill(pool, config, 1)
        await asyncio.sleep(0.01)
        result = await send_email(pool, config, RAW, "b@example.com", None)
        assert result.outcome is Outcome.SENT
        assert server.opened == 2
    finally:
        await pool.close()
        controller.stop()
