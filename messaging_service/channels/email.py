"""Email over SMTP with aiosmtplib: MIME building, a small connection pool per SMTP server, error mapping.

A reply code tells transient from permanent (RFC 5321): 4xx is retried; 5xx is not, and a 5xx refusal of the
recipient (550/551/553, enhanced 5.1.x) is a hard bounce that invalidates the address.
"""

import asyncio
import base64
import re
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, formataddr
from typing import Any

import aiosmtplib

from messaging_service.channels.config import EmailConfig, SmtpConfig
from messaging_service.delivery.rules import SendResult
from messaging_service.inbound.rules import invalid_recipient

CRLF_BYTES = b"\r\n"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


def encoded_words(text: str) -> str:
    """RFC 2047: non-ASCII header text as UTF-8 base64 encoded words of at most 75 characters, folded.

    ``email.header.Header`` does the same at about a millisecond a header (it tries every encoding and every split);
    this is the simple case only, and the tests read the result back with the stdlib parser.
    """
    if text.isascii():
        return text
    words, chunk = [], b""
    for char in text:
        encoded = char.encode()
        if len(chunk) + len(encoded) > 45:  # 45 bytes are 60 base64 characters: 72 with the delimiters
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode()}?=" for word in words)


def address(name: str | None, mailbox: str) -> str:
    if not name:
        return mailbox
    if name.isascii():
        return formataddr((name, mailbox))
    return f"{encoded_words(name)} <{mailbox}>"


def _text_part(content: str, subtype: str) -> list[bytes]:
    return [
        f'Content-Type: text/{subtype}; charset="utf-8"'.encode(),
        b"Content-Transfer-Encoding: base64",
        b"",
        base64.encodebytes(content.encode()).replace(b"\n", CRLF_BYTES).rstrip(),
    ]


def _multipart(subtype: str, parts: list[list[bytes]]) -> list[bytes]:
    boundary = "=_" + secrets.token_hex(16)
    lines = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"'.encode(), b""]
    for part in parts:
        lines += [f"--{boundary}".encode(), *part]
    lines.append(f"--{boundary}--".encode())
    return lines


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
    reply_to: str | None = None,
    date: datetime | None = None,
) -> bytes:
    """multipart/alternative (text + HTML), inside multipart/mixed when a statement is attached, as the bytes that
    go on the wire (7-bit: every part base64, non-ASCII headers as RFC 2047 encoded words).

    Written out directly rather than through ``email.message``: the layout is fixed and the stdlib generator
    (header refolding, a regular expression compiled per boundary) cost more than the rest of the pipeline together
    at 50,000 messages a run. Headers are still encoded by ``email.header`` and ``email.utils``; the tests parse
    the result with the stdlib parser. ``date`` (default: now) is the ``Date`` header: a sandbox tenant's test clock
    dates its mail on the day being played.
    """
    body = _text_part(text, "plain")
    if html:
        body = _multipart("alternative", [body, _text_part(html, "html")])
    if attachments:
        parts = [body]
        for attachment in attachments:
            charset = ' charset="utf-8";' if attachment.maintype == "text" else ""
            parts.append(
                [
                    f"Content-Type: {attachment.maintype}/{attachment.subtype};{charset} "
                    f'name="{attachment.filename}"'.encode(),
                    b"Content-Transfer-Encoding: base64",
                    f'Content-Disposition: attachment; filename="{attachment.filename}"'.encode(),
                    b"",
                    base64.encodebytes(attachment.content).replace(b"\n", CRLF_BYTES).rstrip(),
                ]
            )
        body = _multipart("mixed", parts)
    headers = [
        f"From: {address(config.from_name, config.from_address)}",
        f"To: {address(to_name, to)}",
        f"Subject: {encoded_words(subject)}",
        f"Date: {format_datetime(date or datetime.now(UTC))}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        "Auto-Submitted: auto-generated",
    ]
    if config.reply_to or reply_to:  # the tenant's own reply address wins over our per-message one
        headers.append(f"Reply-To: {config.reply_to or reply_to}")
    if language:
        headers.append(f"Content-Language: {language}")
    if unsubscribe_url:
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the link.
        headers += [f"List-Unsubscribe: <{unsubscribe_url}>", "List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
    return CRLF_BYTES.join([*(h.encode() for h in headers), *body, b""])


class SmtpPool:
    """Open connections per SMTP server, reused across messages and jobs; at most ``size`` per server, each
    carrying one mail transaction at a time.

    Servers close idle connections (RFC 5321 asks them to wait at least 5 minutes; many wait less, and NATs and
    firewalls drop them silently), so a connection is checked before it carries a message: one the server has
    closed, or idle longer than ``max_idle_seconds``, is dropped unused; one idle longer than
    ``check_after_idle_seconds`` must answer a NOOP first. When one fails the check, every connection that sat idle
    longer is dropped with it. So a dead pooled connection never costs a message a delivery attempt."""

    def __init__(self, size: int, check_after_idle_seconds: float = 5.0, max_idle_seconds: float = 240.0) -> None:
        self.size = size
        self.check_after_idle_seconds = check_after_idle_seconds
        self.max_idle_seconds = max_idle_seconds
        self._idle: dict[
            tuple[Any, ...], list[tuple[aiosmtplib.SMTP, float]]
        ] = {}  # (connection, idle since), oldest first
        self._slots: dict[tuple[Any, ...], asyncio.Semaphore] = {}

    async def _connect(self, config: SmtpConfig) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.security == "tls",
            start_tls=config.security == "starttls",
            timeout=None,  # one deadline per transaction below: no timer task per SMTP command
        )
        async with asyncio.timeout(config.timeout):
            await client.connect()
        return client

    async def _answers(self, client: aiosmtplib.SMTP, config: SmtpConfig) -> bool:
        try:
            async with asyncio.timeout(config.timeout):
                await client.noop()
            return True
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()
            return False

    async def _reusable(self, config: SmtpConfig) -> aiosmtplib.SMTP | None:
        """The most recently used idle connection that is still good, or None; the dead ones are dropped."""
        idle = self._idle.setdefault(config.key, [])
        now = time.monotonic()
        for client, since in idle:
            if not client.is_connected or now - since > self.max_idle_seconds:
                client.close()
        idle[:] = [(c, since) for c, since in idle if c.is_connected and now - since <= self.max_idle_seconds]
        while idle:
            client, since = idle.pop()
            if now - since <= self.check_after_idle_seconds or await self._answers(client, config):
                return client
            for older, _ in idle:  # they sat idle longer than the one that just failed
                older.close()
            idle.clear()
        return None

    @asynccontextmanager
    async def connection(self, config: SmtpConfig) -> AsyncIterator[tuple[aiosmtplib.SMTP, bool]]:
        """A connection and whether it was reused (a reused one may still have been closed by the server)."""
        slots = self._slots.setdefault(config.key, asyncio.Semaphore(self.size))
        async with slots:
            client = await self._reusable(config)
            reused = client is not None
            if client is None:
                client = await self._connect(config)
            try:
                yield client, reused
            except BaseException:
                client.close()
                raise
            if client.is_connected:
                self._idle.setdefault(config.key, []).append((client, time.monotonic()))

    async def close(self) -> None:
        for clients in self._idle.values():
            for client, _ in clients:
                try:
                    await asyncio.wait_for(client.quit(), 2)
                except Exception:  # closing politely is best effort
                    client.close()
        self._idle.clear()


async def send_email(
    pool: SmtpPool,
    config: EmailConfig,
    raw: bytes,
    to: str,
    message_id: str | None,
    sender: str | None = None,
) -> SendResult:
    """Hand one message to the SMTP server; the result says whether to retry. A refusal keeps the connection
    (the client resets the transaction); a broken connection is dropped, and a reused one that the server
    had closed is replaced once at no cost to the message. ``sender`` is the envelope sender (MAIL FROM, where
    bounces go: our per-message VERP address), else the From address."""
    for attempt in (1, 2):
        try:
            async with pool.connection(config.smtp) as (client, reused):
                try:
                    async with asyncio.timeout(config.smtp.timeout):
                        await client.sendmail(sender or config.from_address, [to], raw)
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
    enhanced = re.match(r"\s*(5\.\d{1,3}\.\d{1,3})", text or "")
    invalid = invalid_recipient(code, enhanced.group(1) if enhanced else None)
    return SendResult.permanent(f"smtp_{code}", f"{code} {text}", invalid_contact=invalid, bounced=True)
