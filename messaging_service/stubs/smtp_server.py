"""A real SMTP server on loopback for local runs: accepts every message and keeps it in a Maildir.

``python -m messaging_service.stubs.smtp_server --port 8025`` and read ``.run/mail/new/``.
"""

import argparse
import asyncio
import contextlib
import mailbox
from email import message_from_bytes
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class MaildirHandler:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(directory, create=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = message_from_bytes(envelope.original_content or b"")
        self.maildir.add(message)
        print(f"smtp: {envelope.mail_from} -> {', '.join(envelope.rcpt_tos)}: {message.get('Subject', '')}", flush=True)
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, directory: Path) -> None:
    controller = Controller(MaildirHandler(directory), hostname=host, port=port)
    controller.start()
    print(f"smtp: listening on {host}:{port}, mail kept in {directory}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", type=Path, default=Path(".run/mail"))
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.maildir))


if __name__ == "__main__":
    main()
