"""A real SMTP server on loopback for local runs and tests: accepts messages and keeps them in a Maildir.

``python -m messaging_service.stubs.smtp_server --port 8025`` and read ``.run/mail/new/``.

It can refuse recipients, to show bounces without a real mail system: a local part starting with ``bounce``
(``bounce@x``, ``bounce+7@x``) is refused for good (``550 5.1.1``), one starting with ``tempfail`` for now
(``451 4.3.0``); ``rejects`` maps more addresses to a reply. It bounces late too, as a relay that accepted a
message and could not deliver it: ``latebounce@x`` is accepted, then a delivery status notification (RFC 3464,
``5.1.1``) goes to the envelope sender; ``latedelay@x`` gets a "still trying" one (``4.2.2``, mailbox full).

It is also the MX of our bounce and reply domains (``--inbound-url``): mail to them is kept and posted to the
gateway's ``/webhooks/messaging/email/inbound``, signed, and posted again with back-off until the gateway
answers 2xx (for at most ``inbound_email_retry_seconds``), as an MTA's queue would.
"""

import argparse
import asyncio
import contextlib
import logging
import mailbox
import secrets
import socket
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from messaging_service.inbound.rules import inbound_email_signature
from messaging_service.settings import MessagingSettings

HARD_BOUNCE = "550 5.1.1 Recipient address rejected: User unknown"
SOFT_BOUNCE = "451 4.3.0 Mailbox temporarily unavailable, try again later"
LATE_BOUNCES = {
    # local part prefix: (action, status, diagnostic code)
    "latebounce": ("failed", "5.1.1", "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown"),
    "latedelay": ("delayed", "4.2.2", "452 4.2.2 <{rcpt}>: Mailbox full"),
}
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Inbound:
    """Where mail for our own domains (bounces, replies) goes: the inbound webhook, signed with ``secret``."""

    url: str
    secret: bytes
    domains: frozenset[str]
    retry_seconds: float = 4 * 3600.0
    first_delay_seconds: float = 0.5
    max_delay_seconds: float = 60.0


def delivery_status_notification(
    original: bytes,
    *,
    recipient: str,
    envelope_sender: str,
    action: str,
    status: str,
    diagnostic: str,
    reporting_mta: str,
    arrival: datetime,
) -> bytes:
    """A DSN as a relay writes it (RFC 3464 and RFC 6522): a note for people, the ``message/delivery-status`` per
    message and per recipient, and the returned message's headers (``text/rfc822-headers``)."""
    boundary = f"{secrets.token_hex(8)}/{reporting_mta}"
    headers = original.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("utf-8", "replace")
    failed = action == "failed"
    note = (
        f"This is the mail system at host {reporting_mta}.\r\n\r\n"
        + (
            "I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients."
            if failed
            else "Your message could not be delivered yet; the mail system will keep trying."
        )
        + f"\r\n\r\n<{recipient}>: host {reporting_mta} said: {diagnostic}\r\n"
    )
    lines = [
        f"From: MAILER-DAEMON@{reporting_mta} (Mail Delivery System)",
        f"To: {envelope_sender}",
        "Subject: " + ("Undelivered Mail Returned to Sender" if failed else "Delayed Mail (still being retried)"),
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: <{secrets.token_hex(12)}@{reporting_mta}>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        "This is a MIME-encapsulated message.",
        "",
        f"--{boundary}",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        note,
        f"--{boundary}",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; {reporting_mta}",
        f"Arrival-Date: {format_datetime(arrival)}",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        f"Original-Recipient: rfc822;{recipient}",
        f"Action: {action}",
        f"Status: {status}",
        f"Remote-MTA: dns; {reporting_mta}",
        f"Diagnostic-Code: smtp; {diagnostic}",
        "",
        f"--{boundary}",
        "Content-Description: Undelivered Message Headers",
        "Content-Type: text/rfc822-headers",
        "",
        headers.replace("\r\n", "\n").replace("\n", "\r\n"),
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode()


class MaildirHandler:
    """Keeps each message in the Maildir (or only counts it, with ``directory=None``: for benchmarks)."""

    def __init__(
        self,
        directory: Path | None,
        quiet: bool = False,
        rejects: dict[str, str] | None = None,
        inbound: Inbound | None = None,
        late_bounce_seconds: float = 1.0,
    ) -> None:
        self.maildir = None
        if directory is not None:
            directory.parent.mkdir(parents=True, exist_ok=True)
            self.maildir = mailbox.Maildir(directory, create=True)
            for sub in ("tmp", "new", "cur"):  # a directory made earlier without them
                (directory / sub).mkdir(exist_ok=True)
        self.quiet = quiet
        self.rejects = dict(rejects or {})
        self.accepted = 0
        self.inbound = inbound
        self.late_bounce_seconds = late_bounce_seconds
        self.posted = 0  # inbound messages the webhook took
        self.refused_posts = 0  # posts the webhook did not take (each is tried again)
        self.hostname = socket.getfqdn() or "localhost"
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        local, _, domain = address.lower().rpartition("@")
        if self.inbound is not None and domain in self.inbound.domains:  # our own mailboxes take everything
            envelope.rcpt_tos.append(address)
            return "250 OK"
        reply = self.rejects.get(address.lower())
        if reply is None and local.startswith("bounce"):
            reply = HARD_BOUNCE
        if reply is None and local.startswith("tempfail"):
            reply = SOFT_BOUNCE
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self._keep(envelope.mail_from or "", envelope.rcpt_tos, content)
        arrival = datetime.now(UTC)
        for rcpt in envelope.rcpt_tos:
            late = _late_bounce(rcpt)
            if late is not None and envelope.mail_from:  # never bounce a bounce (null sender)
                self._spawn(self._bounce_later(content, rcpt, envelope.mail_from, late, arrival))
        return "250 Message accepted for delivery"

    def _keep(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> None:
        """Store a message and hand what is for our own domains to the inbound webhook, stamped as a final
        delivery stamps it (RFC 5321 4.4): the envelope sender, and the mailbox it reached."""
        stamp = f"Return-Path: <{mail_from}>\r\n".encode()
        if self.maildir is not None:
            self.maildir.add(stamp + content)
        self.accepted += 1
        if not self.quiet:
            headers = BytesHeaderParser().parsebytes(content)
            print(f"smtp: {mail_from} -> {', '.join(rcpt_tos)}: {headers.get('Subject', '')}", flush=True)
        if self.inbound is None:
            return
        for rcpt in rcpt_tos:
            if rcpt.rpartition("@")[2].lower() in self.inbound.domains:
                self._spawn(self._post(stamp + f"Delivered-To: {rcpt}\r\n".encode() + content))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, raw: bytes) -> None:
        """POST the message until the webhook answers 2xx or the retry time is spent (then it is dropped)."""
        assert self.inbound is not None
        inbound = self.inbound
        headers = {
            "Content-Type": "message/rfc822",
            "X-Cobranza-Signature": inbound_email_signature(inbound.secret, raw),
        }
        deadline = time.monotonic() + inbound.retry_seconds
        delay = inbound.first_delay_seconds
        async with httpx.AsyncClient(timeout=30.0) as client:
            while True:
                try:
                    response = await client.post(inbound.url, content=raw, headers=headers)
                    if response.is_success:
                        self.posted += 1
                        return
                    problem = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                self.refused_posts += 1
                if time.monotonic() + delay > deadline:
                    log.warning("smtp: inbound message dropped after retrying: %s", problem)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, inbound.max_delay_seconds)

    async def _bounce_later(
        self, original: bytes, rcpt: str, sender: str, late: tuple[str, str, str], arrival: datetime
    ) -> None:
        """The relay tried to deliver and could not: a DSN to the envelope sender, from the null sender."""
        await asyncio.sleep(self.late_bounce_seconds)
        action, status, diagnostic = late
        report = delivery_status_notification(
            original,
            recipient=rcpt,
            envelope_sender=sender,
            action=action,
            status=status,
            diagnostic=diagnostic.format(rcpt=rcpt),
            reporting_mta=self.hostname,
            arrival=arrival,
        )
        self._keep("", [sender], report)


def _late_bounce(address: str) -> tuple[str, str, str] | None:
    local = address.split("@", 1)[0].lower()
    return next((late for prefix, late in LATE_BOUNCES.items() if local.startswith(prefix)), None)


def start(
    host: str,
    port: int,
    directory: Path | None,
    quiet: bool = False,
    inbound: Inbound | None = None,
    late_bounce_seconds: float = 1.0,
) -> tuple[Controller, MaildirHandler]:
    """Start the server in its own thread (as aiosmtpd's controller does); ``controller.stop()`` ends it."""
    handler = MaildirHandler(directory, quiet, inbound=inbound, late_bounce_seconds=late_bounce_seconds)
    controller = Controller(handler, hostname=host, port=port, data_size_limit=50 * 1024 * 1024)
    controller.start()
    return controller, handler


async def serve(
    host: str, port: int, directory: Path | None, quiet: bool, inbound: Inbound | None, late_bounce_seconds: float
) -> None:
    controller, _ = start(host, port, directory, quiet, inbound, late_bounce_seconds)
    print(f"smtp: listening on {host}:{port}, mail kept in {directory or 'no Maildir (counted only)'}", flush=True)
    if inbound is not None:
        print(f"smtp: mail for {', '.join(sorted(inbound.domains))} is posted to {inbound.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", type=Path, default=Path(".run/mail"))
    parser.add_argument("--quiet", action="store_true", help="no line per message")
    parser.add_argument("--discard", action="store_true", help="accept and count messages without keeping them")
    parser.add_argument(
        "--inbound-url",
        help="post mail for the bounce and reply domains here (the gateway's /webhooks/messaging/email/inbound)",
    )
    parser.add_argument("--late-bounce-seconds", type=float, default=2.0, help="delay of latebounce@'s DSN")
    args = parser.parse_args()
    inbound = None
    if args.inbound_url:
        settings = MessagingSettings()
        inbound = Inbound(
            url=args.inbound_url,
            secret=settings.inbound_email_key(),
            domains=frozenset({settings.bounce_domain.lower(), settings.reply_domain.lower()}),
            retry_seconds=settings.inbound_email_retry_seconds,
        )
    directory = None if args.discard else args.maildir
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(args.host, args.port, directory, args.quiet or args.discard, inbound, args.late_bounce_seconds)
        )


if __name__ == "__main__":
    main()
