"""Late bounces (issue 10, point 3): VERP return paths, RFC 3464 delivery status notifications read by messaging.

The DSNs are written as real MTAs write them (Postfix's hard bounce, a "still retrying" delay) and sent over SMTP
to the local SMTP server, which posts them to the inbound webhook; the ``latebounce@`` path has the SMTP server
itself write the DSN after accepting the message.
"""

import uuid
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from messaging_service.channels.config import EmailConfig, SmtpConfig
from messaging_service.channels.email import _refused, build_email
from messaging_service.inbound.email import BounceBeforeSendRecorded, apply_inbound_email, verify_inbound_email
from messaging_service.inbound.rules import (
    BounceKind,
    inbound_email_signature,
    invalid_recipient,
    our_message_ids,
    parse_message,
    read_delivery_report,
    read_plain_bounce,
    read_tagged_address,
    reply_address,
    verp_address,
)
from messaging_service.settings import MessagingSettings
from messaging_service.stubs.smtp_server import delivery_status_notification
from shared.db import unit_of_work
from tests.messaging.inbound_mail import InboundMail, inbound_mail, local_url, mail_server, until, webhook
from tests.messaging.support import (
    communication,
    deliver,
    messages,
    messaging_tenant,
    outbox,
    send,
    settings,
)
from tests.support import free_port

BOUNCES = "bounces.cobranza.localhost"
ORIGINAL_HEADERS = (
    "Return-Path: <bounces+{hex}@bounces.cobranza.localhost>\r\n"
    "From: Empresa Demo <cobranzas@cobranza.localhost>\r\n"
    "To: pagos@cliente.example\r\n"
    "Subject: Recordatorio de pago\r\n"
    "Date: Sun, 06 Dec 2026 14:40:00 +0000\r\n"
    "Message-ID: <{id}@cobranza.localhost>\r\n"
    "MIME-Version: 1.0\r\n"
    "Auto-Submitted: auto-generated\r\n"
)


def postfix_hard_bounce(to: str, recipient: str, original_headers: str) -> bytes:
    """What Postfix sends when the next hop refused the recipient after Postfix accepted the message."""
    boundary = "8C1F2A0412.1796565602/mx1.cliente.example"
    return (
        "Date: Sun,  6 Dec 2026 11:40:02 -0300 (ART)\r\n"
        "From: MAILER-DAEMON@mx1.cliente.example (Mail Delivery System)\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"To: {to}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f'\tboundary="{boundary}"\r\n'
        "Content-Transfer-Encoding: 7bit\r\n"
        "Message-Id: <20261206144002.9A3B10417@mx1.cliente.example>\r\n"
        "\r\n"
        "This is a MIME-encapsulated message.\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mx1.cliente.example.\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients. It's attached below.\r\n"
        "\r\n"
        "                   The mail system\r\n"
        "\r\n"
        f"<{recipient}>: host mailstore.cliente.example[192.0.2.7] said: 550\r\n"
        f"    5.1.1 <{recipient}>: Recipient address rejected: User unknown in\r\n"
        "    virtual mailbox table (in reply to RCPT TO command)\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx1.cliente.example\r\n"
        "X-Postfix-Queue-ID: 8C1F2A0412\r\n"
        f"X-Postfix-Sender: rfc822; {to}\r\n"
        "Arrival-Date: Sun,  6 Dec 2026 11:40:01 -0300 (ART)\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Remote-MTA: dns; mailstore.cliente.example\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address\r\n"
        "    rejected: User unknown in virtual mailbox table\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        f"{original_headers}"
        "\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def mailbox_full_delay(to: str, recipient: str, original_headers: str) -> bytes:
    """A relay's "delayed" DSN: the mailbox is full (4.2.2) and it keeps retrying."""
    boundary = "----=_delay_0001"
    return (
        "From: Mail Delivery Subsystem <mailer-daemon@relay.cliente.example>\r\n"
        f"To: {to}\r\n"
        "Subject: Delivery Status Notification (Delay)\r\n"
        "Date: Sun, 06 Dec 2026 18:40:00 +0000\r\n"
        "Message-ID: <delay-0001@relay.cliente.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type="delivery-status"; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "\r\n"
        "Delivery incomplete: the recipient's mailbox is full. We will keep trying for 4 more days.\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; relay.cliente.example\r\n"
        "Arrival-Date: Sun, 06 Dec 2026 14:40:00 +0000\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: delayed\r\n"
        "Status: 4.2.2\r\n"
        "Remote-MTA: dns; mailstore.cliente.example\r\n"
        "Diagnostic-Code: smtp; 452 4.2.2 The email account that you tried to reach is over quota\r\n"
        "Last-Attempt-Date: Sun, 06 Dec 2026 18:39:58 +0000\r\n"
        "Will-Retry-Until: Thu, 10 Dec 2026 14:40:00 +0000\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        f"{original_headers}"
        f"--{boundary}--\r\n"
    ).encode()


def sample_headers(message_id: uuid.UUID) -> str:
    return ORIGINAL_HEADERS.format(hex=message_id.hex, id=message_id)


# ---- pure: addresses, signatures, DSN reading ---------------------------------------------------------------------


def test_verp_address_names_the_message_and_reads_back():
    message_id = uuid.uuid4()
    address = verp_address(message_id, "Bounces.Cobranza.localhost")
    assert address == f"bounces+{message_id.hex}@bounces.cobranza.localhost"
    assert read_tagged_address(address.upper(), "bounces", BOUNCES) == message_id
    assert read_tagged_address(f"<{address}>", "bounces", BOUNCES) == message_id
    assert read_tagged_address(address, "bounces", "other.example") is None
    assert read_tagged_address(address, "reply", BOUNCES) is None
    assert read_tagged_address(f"bounces+{message_id.hex[:-1]}@{BOUNCES}", "bounces", BOUNCES) is None
    assert read_tagged_address(f"bounces@{BOUNCES}", "bounces", BOUNCES) is None
    reply = reply_address(message_id, "replies.cobranza.localhost")
    assert read_tagged_address(reply, "reply", "replies.cobranza.localhost") == message_id


def test_our_message_ids_are_read_from_message_id_in_reply_to_and_references():
    first, second = uuid.uuid4(), uuid.uuid4()
    references = f"<CAB123@mail.gmail.com>\r\n <{first}@cobranza.localhost> <{second}@empresa.example>"
    assert our_message_ids(f"<{second}@empresa.example>", references, None) == [second, first]
    assert our_message_ids("<CAB123@mail.gmail.com>") == []


def test_the_inbound_email_signature_is_an_hmac_of_the_raw_message():
    settings = MessagingSettings()
    raw = b"Subject: hola\r\n\r\nya pague\r\n"
    signature = inbound_email_signature(settings.inbound_email_key(), raw)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_inbound_email(settings, raw, signature)
    assert not verify_inbound_email(settings, raw + b" ", signature)
    assert not verify_inbound_email(settings, raw, None)
    assert not verify_inbound_email(MessagingSettings(inbound_email_secret="another"), raw, signature)


def test_a_postfix_hard_bounce_reads_as_5_1_1_and_invalidates_the_address():
    message_id = uuid.uuid4()
    raw = postfix_hard_bounce(verp_address(message_id, BOUNCES), "pagos@cliente.example", sample_headers(message_id))
    bounce = read_delivery_report(parse_message(raw))
    assert bounce is not None
    assert (bounce.kind, bounce.status, bounce.recipient) == (BounceKind.HARD, "5.1.1", "pagos@cliente.example")
    assert bounce.diagnostic.startswith("550 5.1.1 <pagos@cliente.example>: Recipient address rejected")
    assert bounce.smtp_code == 550 and bounce.error_code == "dsn_5.1.1"
    assert bounce.original_message_id == f"<{message_id}@cobranza.localhost>"
    assert bounce.invalidates_address


def test_a_mailbox_full_delay_is_a_soft_bounce_that_invalidates_nothing():
    message_id = uuid.uuid4()
    raw = mailbox_full_delay(verp_address(message_id, BOUNCES), "pagos@cliente.example", sample_headers(message_id))
    bounce = read_delivery_report(parse_message(raw))
    assert bounce is not None
    assert (bounce.kind, bounce.status, bounce.smtp_code) == (BounceKind.SOFT, "4.2.2", 452)
    assert not bounce.invalidates_address


def test_a_relay_that_gave_up_after_retrying_fails_the_message_without_invalidating():
    message_id = uuid.uuid4()
    raw = delivery_status_notification(
        sample_headers(message_id).encode() + b"\r\nbody\r\n",
        recipient="pagos@cliente.example",
        envelope_sender=verp_address(message_id, BOUNCES),
        action="failed",
        status="4.4.7",
        diagnostic="delivery time expired",
        reporting_mta="relay.example",
        arrival=datetime.now(UTC),
    )
    bounce = read_delivery_report(parse_message(raw))
    assert bounce is not None and (bounce.kind, bounce.status) == (BounceKind.GAVE_UP, "4.4.7")
    assert not bounce.invalidates_address


def test_the_smtp_servers_own_dsn_is_rfc_3464():
    message_id = uuid.uuid4()
    raw = delivery_status_notification(
        sample_headers(message_id).encode() + b"\r\nbody\r\n",
        recipient="latebounce@cliente.example",
        envelope_sender=verp_address(message_id, BOUNCES),
        action="failed",
        status="5.1.1",
        diagnostic="550 5.1.1 <latebounce@cliente.example>: Recipient address rejected: User unknown",
        reporting_mta="mx.example",
        arrival=datetime.now(UTC),
    )
    mail = message_from_bytes(raw, policy=default)
    assert mail.get_content_type() == "multipart/report"
    assert mail.get_param("report-type") == "delivery-status"
    kinds = [part.get_content_type() for part in mail.iter_parts()]
    assert kinds == ["text/plain", "message/delivery-status", "text/rfc822-headers"]
    bounce = read_delivery_report(parse_message(raw))
    assert bounce is not None and bounce.kind is BounceKind.HARD and bounce.recipient == "latebounce@cliente.example"
    assert bounce.original_message_id == f"<{message_id}@cobranza.localhost>"


def test_a_bounce_in_prose_is_read_by_its_status_code():
    raw = (
        b"From: MAILER-DAEMON@old.example\r\nSubject: failure notice\r\n\r\n"
        b"Hi. This is the qmail-send program at old.example.\r\n"
        b"<pagos@cliente.example>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n"
    )
    bounce = read_plain_bounce(parse_message(raw))
    assert bounce is not None and (bounce.kind, bounce.status) == (BounceKind.HARD, "5.1.1")
    assert read_plain_bounce(parse_message(b"Subject: hola\r\n\r\nnada que ver\r\n")) is None


@pytest.mark.parametrize(
    ("code", "status", "invalid"),
    [(550, "5.1.1", True), (553, None, True), (554, "5.1.1", True), (552, "5.2.2", False), (554, "5.7.1", False)],
)
def test_one_rule_says_which_permanent_refusals_invalidate_the_address(code, status, invalid):
    assert invalid_recipient(code, status) is invalid
    refused = _refused(code, f"{status} refused" if status else "refused")
    assert refused.invalid_contact is invalid and refused.bounced


def test_the_per_message_reply_to_yields_to_the_tenants_own():
    smtp = SmtpConfig("127.0.0.1", 25, None, None, "none", 5)
    ours = "reply+00@replies.cobranza.localhost"
    common = {"to": "a@b.example", "to_name": None, "subject": "s", "text": "t", "html": None, "message_id": "<x@y>"}
    mail = build_email(EmailConfig(smtp, "c@x.example", None, None), **common, reply_to=ours)
    assert message_from_bytes(mail, policy=default)["Reply-To"] == ours
    mail = build_email(EmailConfig(smtp, "c@x.example", None, "pagos@empresa.example"), **common, reply_to=ours)
    assert message_from_bytes(mail, policy=default)["Reply-To"] == "pagos@empresa.example"


# ---- through the SMTP server and the inbound webhook --------------------------------------------------------------


@pytest.fixture
async def inbound(stack, tmp_path: Path):
    async with inbound_mail(stack, tmp_path / "mail") as mail:
        yield mail


async def sent_email(api, stack, inbound: InboundMail, to: str = "pagos@cliente.example"):
    """A tenant, a customer and one email sent to ``to`` through the pipeline; answers the tenant, the message
    row and the raw message as the SMTP server received it."""
    tenant = await messaging_tenant(api, stack)
    customer = uuid.uuid4()
    await send(stack, tenant.id, [communication(to=to, customer_id=customer)])
    await deliver(stack, settings(smtp_port=inbound.mailbox.port))
    (row,) = await messages(stack, tenant.id)
    maildir = inbound.mailbox.handler.maildir
    raw = next(maildir.get_bytes(key) for key in maildir.keys() if to.encode() in maildir.get_bytes(key))  # noqa: SIM118
    return tenant, row, raw


def headers_of(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode() + "\r\n"


async def test_an_email_goes_out_with_its_verp_return_path_and_reply_address(api, stack, inbound):
    _, row, raw = await sent_email(api, stack, inbound)
    mail = message_from_bytes(raw, policy=default)
    assert row.state == "sent"
    assert mail["Return-Path"] == f"<bounces+{row.id.hex}@bounces.cobranza.localhost>"
    assert mail["Reply-To"] == f"reply+{row.id.hex}@replies.cobranza.localhost"
    assert mail["Message-ID"] == f"<{row.id}@cobranza.localhost>"


async def test_a_dsn_hard_bounce_after_sent_bounces_the_message_and_invalidates_the_contact(api, stack, inbound):
    tenant, row, raw = await sent_email(api, stack, inbound)
    verp = f"bounces+{row.id.hex}@bounces.cobranza.localhost"
    await inbound.send(postfix_hard_bounce(verp, row.to_address, headers_of(raw)), "", verp)

    assert await inbound.wait_for(1) == ["bounce"]
    (bounced,) = await messages(stack, tenant.id)
    assert (bounced.state, bounced.error_code) == ("bounced", "dsn_5.1.1")
    assert bounced.sent_at is not None and bounced.failed_at is not None
    assert "User unknown" in bounced.error
    states = [e.payload["state"] for e in await outbox(stack, "messaging.message_status_changed")]
    assert states[-1] == "bounced"
    (invalidated,) = await outbox(stack, "messaging.contact_invalidated")
    assert invalidated.payload["address"] == "pagos@cliente.example"
    assert invalidated.payload["customer_id"] == str(row.customer_id)
    # The same DSN posted again (an MTA retrying) changes nothing more.
    await inbound.send(postfix_hard_bounce(verp, row.to_address, headers_of(raw)), "", verp)
    await inbound.wait_for(2)
    assert len(await outbox(stack, "messaging.contact_invalidated")) == 1
    assert [e.payload["state"] for e in await outbox(stack, "messaging.message_status_changed")] == states


async def test_a_dsn_soft_bounce_mailbox_full_changes_nothing(api, stack, inbound):
    tenant, row, raw = await sent_email(api, stack, inbound)
    verp = f"bounces+{row.id.hex}@bounces.cobranza.localhost"
    before = await outbox(stack)
    await inbound.send(mailbox_full_delay(verp, row.to_address, headers_of(raw)), "", verp)

    assert await inbound.wait_for(1) == ["bounce"]
    (still,) = await messages(stack, tenant.id)
    assert (still.state, still.error_code) == ("sent", None)
    assert await outbox(stack) == before


async def test_a_dsn_whose_return_path_was_lost_is_matched_by_the_returned_message_id(api, stack, inbound):
    """Some forwarders rewrite the envelope: the DSN reaches the bare bounce mailbox, the headers still name it."""
    tenant, row, raw = await sent_email(api, stack, inbound)
    bare = "bounces@bounces.cobranza.localhost"
    await inbound.send(postfix_hard_bounce(bare, row.to_address, headers_of(raw)), "", bare)

    assert await inbound.wait_for(1) == ["bounce"]
    (bounced,) = await messages(stack, tenant.id)
    assert bounced.state == "bounced"


async def test_latebounce_is_accepted_then_the_smtp_servers_dsn_bounces_the_message(api, stack, inbound):
    tenant, row, _ = await sent_email(api, stack, inbound, to="latebounce@cliente.example")
    # Accepted with 250 by the SMTP server: the attempt says so. (The row itself may already be bounced when read:
    # the DSN follows the acceptance by a moment, as a relay's does, and the test does not race it.)
    async with stack.engine.connect() as conn:
        (attempt,) = (
            await conn.execute(text("SELECT * FROM messaging.attempts WHERE message_id = :id"), {"id": row.id})
        ).all()
    assert (attempt.outcome, attempt.error_code) == ("sent", None)
    assert row.sent_at is not None

    assert await inbound.wait_for(1) == ["bounce"]
    (bounced,) = await messages(stack, tenant.id)
    assert (bounced.state, bounced.error_code) == ("bounced", "dsn_5.1.1")
    (invalidated,) = await outbox(stack, "messaging.contact_invalidated")
    assert invalidated.payload["address"] == "latebounce@cliente.example"
    # The DSN itself is in the Maildir, as the bounce mailbox received it.
    reports = [m for m in inbound.mailbox.messages() if m.get_content_type() == "multipart/report"]
    assert len(reports) == 1 and reports[0]["To"] == f"bounces+{row.id.hex}@bounces.cobranza.localhost"


async def test_the_smtp_server_posts_again_until_the_webhook_takes_the_message(api, stack, tmp_path):
    """As an MTA's queue: while the webhook does not answer, the message waits and is posted again."""
    outcomes: list[str] = []
    port = free_port()
    async with mail_server(tmp_path / "mail", local_url(port)) as mailbox:
        mail = InboundMail(mailbox, outcomes)
        tenant, row, raw = await sent_email(api, stack, mail)
        verp = f"bounces+{row.id.hex}@bounces.cobranza.localhost"
        await mail.send(postfix_hard_bounce(verp, row.to_address, headers_of(raw)), "", verp)
        await until(lambda: mailbox.handler.refused_posts >= 2)  # nobody listening yet
        (waiting,) = await messages(stack, tenant.id)
        assert (waiting.state, waiting.error) == ("sent", None)
        async with webhook(stack, port, outcomes):
            assert await mail.wait_for(1) == ["bounce"]
        assert mailbox.handler.posted == 1
    assert (await messages(stack, tenant.id))[0].state == "bounced"


async def test_a_dsn_for_a_message_that_is_not_ours_is_ignored(stack, api):
    settings_ = MessagingSettings()
    stranger = uuid.uuid4()
    raw = postfix_hard_bounce(verp_address(stranger, BOUNCES), "x@y.example", sample_headers(stranger))
    async with unit_of_work(async_sessionmaker(stack.engine)) as session:
        assert await apply_inbound_email(session, settings_, raw, datetime.now(UTC)) == "ignored"
    async with stack.engine.connect() as conn:
        assert (await conn.scalar(text("SELECT count(*) FROM messaging.suppressions"))) == 0


async def test_a_dsn_that_overtakes_the_sends_result_waits_for_it(api, stack, inbound):
    """The relay bounced faster than the worker recorded ``sent``: applying it now would be overwritten, so it
    is refused (the caller applies it again later) until the message is no longer ``sending``."""
    tenant, row, raw = await sent_email(api, stack, inbound)
    dsn = postfix_hard_bounce(verp_address(row.id, BOUNCES), row.to_address, headers_of(raw))
    sessions = async_sessionmaker(stack.engine)
    async with stack.engine.begin() as conn:
        await conn.execute(text("UPDATE messaging.messages SET state = 'sending' WHERE id = :id"), {"id": row.id})
    with pytest.raises(BounceBeforeSendRecorded):
        async with unit_of_work(sessions) as session:
            await apply_inbound_email(session, MessagingSettings(), dsn, datetime.now(UTC))
    async with stack.engine.begin() as conn:
        await conn.execute(text("UPDATE messaging.messages SET state = 'sent' WHERE id = :id"), {"id": row.id})
    async with unit_of_work(sessions) as session:
        assert await apply_inbound_email(session, MessagingSettings(), dsn, datetime.now(UTC)) == "bounce"
    (bounced,) = await messages(stack, tenant.id)
    assert (bounced.state, bounced.error_code) == ("bounced", "dsn_5.1.1")
