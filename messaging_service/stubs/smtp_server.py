"""A real SMTP server on loopback for local runs and tests: accepts messages and keeps them in a Maildir.

``python -m messaging_service.stubs.smtp_server --port 8025`` and read ``.run/mail/new/``.

It can refuse recipients, to show bounces without a real mail system: a local part starting with ``bounce``
(``bounce@x``, ``bounce+7@x``) is refused for good (``550 5.1.1``), one starting with ``tempfail`` for now
(``451 4.3.0``); ``rejects`` maps more addresses to a reply.
"""

import argparse
import asyncio
import contextlib
import mailbox
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HARD_BOUNCE = "550 5.1.1 Recipient address rejected: User unknown"
SOFT_BOUNCE = "451 4.3.0 Mailbox temporarily unavailable, try again later"


class MaildirHandler:
    """Keeps each message in the Maildir (or only counts it, with ``directory=None``: for benchmarks)."""

    def __init__(self, directory: Path | None, quiet: bool = False, rejects: dict[str, str] | None = None) -> None:
        self.maildir = None
        if directory is not None:
            directory.parent.mkdir(parents=True, exist_ok=True)
            self.maildir = mailbox.Maildir(directory, create=True)
            for sub in ("tmp", "new", "cur"):  # a directory made earlier without them
                (directory / sub).mkdir(exist_ok=True)
        self.quiet = quiet
        self.rejects = dict(rejects or {})
        self.accepted = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        local = address.split("@", 1)[0].lower()
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
        if self.maildir is not None:
            self.maildir.add(content)
        self.accepted += 1
        if not self.quiet:
            headers = BytesHeaderParser().parsebytes(content)
            print(
                f"smtp: {envelope.mail_from} -> {', '.join(envelope.rcpt_tos)}: {headers.get('Subject', '')}",
                flush=True,
            )
        return "250 Message accepted for delivery"


def start(host: str, port: int, directory: Path | None, quiet: bool = False) -> tuple[Controller, MaildirHandler]:
    """Start the server in its own thread (as aiosmtpd's controller does); ``controller.stop()`` ends it."""
    handler = MaildirHandler(directory, quiet)
    controller = Controller(handler, hostname=host, port=port, data_size_limit=50 * 1024 * 1024)
    controller.start()
    return controller, handler


async def serve(host: str, port: int, directory: Path | None, quiet: bool) -> None:
    controller, _ = start(host, port, directory, quiet)
    print(f"smtp: listening on {host}:{port}, mail kept in {directory or 'no Maildir (counted only)'}", flush=True)
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
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, None if args.discard else args.maildir, args.quiet or args.discard))


if __name__ == "__main__":
    main()
