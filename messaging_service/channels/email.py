"""Email over SMTP with aiosmtplib: MIME building, a small connection pool per SMTP server, error mapping.

A reply code tells transient from permanent (RFC 5321): 4xx is retried; 5xx is not, and a 5xx refusal of the
recipient (550/551/553, enhanced 5.1.x) is a hard bounce that invalidates the address.
"""

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

import aiosmtplib

from messaging_service.channels.config import EmailConfig, SmtpConfig
from messaging_service.domain.delivery import SendResult

INVALID_RECIPIENT_CODES = frozenset({550, 551, 553})
# Bodies are 7-bit (quoted-printable or base64 when needed), so any server takes them; when the message is
# written out, headers are folded at RFC 5322's 998 characters only (a folded List-Unsubscribe URL is mangled).
MESSAGE_POLICY = SMTP.clone(cte_type="7bit")
WIRE_POLICY = MESSAGE_POLICY.clone(max_line_length=998)


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


def build_email(
    config: EmailConfig,
    *,
    to: str,
    to_name: str | None,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    attachments: Sequence[Attachment] = (),
    unsubscribe_url: str | None = None,
    language: str | None = None,
) -> EmailMessage:
    """multipart/alternative (text + HTML), inside multipart/mixed when a statement is attached."""
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = formataddr((config.from_name or "", config.from_address))
    message["To"] = formataddr((to_name or "", to))
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    if config.reply_to:
        message["Reply-To"] = config.reply_to
    if language:
        message["Content-Language"] = language
    if unsubscribe_url:
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the link.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        message.add_attachment(
            attachment.content, maintype=attachment.maintype, subtype=attachment.subtype, filename=attachment.filename
        )
    return message


class SmtpPool:
    """Open connections per SMTP server, reused across messages and jobs; at most ``size`` per server, each
    carrying one mail transaction at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: dict[tuple, list[aiosmtplib.SMTP]] = {}
        self._slots: dict[tuple, asyncio.Semaphore] = {}

    async def _connect(self, config: SmtpConfig) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.security == "tls",
            start_tls=config.security == "starttls",
            timeout=config.timeout,
        )
        await client.connect()
        return client

    @asynccontextmanager
    async def connection(self, config: SmtpConfig) -> AsyncIterator[tuple[aiosmtplib.SMTP, bool]]:
        """A connection and whether it was reused (a reused one may have been closed by the server)."""
        slots = self._slots.setdefault(config.key, asyncio.Semaphore(self.size))
        idle = self._idle.setdefault(config.key, [])
        async with slots:
            reused = bool(idle)
            client = idle.pop() if idle else await self._connect(config)
            try:
                yield client, reused
            except BaseException:
                client.close()
                raise
            if client.is_connected:
                idle.append(client)

    async def close(self) -> None:
        for clients in self._idle.values():
            for client in clients:
                try:
                    await asyncio.wait_for(client.quit(), 2)
                except Exception:  # closing politely is best effort
                    client.close()
        self._idle.clear()


async def send_email(pool: SmtpPool, config: EmailConfig, message: EmailMessage, to: str) -> SendResult:
    return await send_raw(pool, config, message.as_bytes(policy=WIRE_POLICY), to, message["Message-ID"])


async def send_raw(pool: SmtpPool, config: EmailConfig, raw: bytes, to: str, message_id: str | None) -> SendResult:
    """Hand one message to the SMTP server; the result says whether to retry. A refusal keeps the connection
    (the client resets the transaction); a broken connection is dropped, and a reused one that the server
    had closed is replaced once at no cost to the message."""
    for attempt in (1, 2):
        try:
            async with pool.connection(config.smtp) as (client, reused):
                try:
                    await client.sendmail(config.from_address, [to], raw)
                except aiosmtplib.SMTPServerDisconnected:
                    if reused and attempt == 1:
                        raise _StaleConnection from None
                    raise
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    refusal = exc.recipients[0] if exc.recipients else None
                    return _refused(refusal.code if refusal else 550, refusal.message if refusal else str(exc))
                except aiosmtplib.SMTPResponseException as exc:
                    return _reply(exc)
            return SendResult.sent(message_id)
        except _StaleConnection:
            continue
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if isinstance(exc, aiosmtplib.SMTPResponseException):  # while connecting (e.g. authentication)
                return _reply(exc)
            return SendResult.transient("smtp_unavailable", f"{type(exc).__name__}: {exc}")
    return SendResult.transient("smtp_unavailable", "the SMTP server closed the connection")


def _reply(exc: aiosmtplib.SMTPResponseException) -> SendResult:
    if 400 <= exc.code < 500:
        return SendResult.transient(f"smtp_{exc.code}", exc.message)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SendResult.permanent("smtp_auth_failed", f"{exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return SendResult.permanent("smtp_sender_refused", f"{exc.code} {exc.message}")
    return SendResult.permanent(f"smtp_{exc.code}", f"{exc.code} {exc.message}")


class _StaleConnection(Exception):
    pass


def _refused(code: int, text: str) -> SendResult:
    if 400 <= code < 500:
        return SendResult.transient(f"smtp_{code}", text)
    enhanced = re.match(r"\s*5\.(\d)\.", text or "")
    invalid = code in INVALID_RECIPIENT_CODES or (enhanced is not None and enhanced.group(1) == "1")
    return SendResult.permanent(f"smtp_{code}", f"{code} {text}", invalid_contact=invalid, bounced=True)
