"""Email's way back through the real way in (issue 10): the SMTP server posts to the gateway, which stores the
request and hands it to messaging's worker as ``messaging.webhook_received``; the worker checks the signature and
applies it with ``inbound.email.apply_inbound_email``."""

from pathlib import Path

from shared.outbox import relay_once
from tests.messaging.inbound_mail import INBOUND_PATH, InboundMail, mail_server, until
from tests.messaging.support import messages, outbox, run_messaging, settings
from tests.messaging.test_bounces import sent_email
from tests.messaging.test_email_replies import replies, reply_mail, sent_to_customer


async def test_latebounce_end_to_end_through_the_gateway(api, stack, public_gateway, tmp_path: Path):
    """The real way in: the SMTP server posts the DSN to the gateway, which stores it and hands it to messaging's
    worker as ``messaging.webhook_received``; the worker checks the signature and applies it."""
    async with mail_server(tmp_path / "mail", public_gateway + INBOUND_PATH) as mailbox:
        tenant, _, _ = await sent_email(api, stack, InboundMail(mailbox), to="latebounce@cliente.example")
        await until(lambda: mailbox.handler.posted == 1)
    while await relay_once(stack.engine, stack.arq, "gateway"):
        pass
    await run_messaging(settings())

    (bounced,) = await messages(stack, tenant.id)
    assert (bounced.state, bounced.error_code) == ("bounced", "dsn_5.1.1")
    (invalidated,) = await outbox(stack, "messaging.contact_invalidated")
    assert invalidated.payload["address"] == "latebounce@cliente.example"


async def test_an_email_reply_end_to_end_through_the_gateway(api, stack, public_gateway, tmp_path: Path):
    async with mail_server(tmp_path / "mail", public_gateway + INBOUND_PATH) as mailbox:
        _, customer, row = await sent_to_customer(api, stack, InboundMail(mailbox))
        reply_to = f"reply+{row.id.hex}@replies.cobranza.localhost"
        await InboundMail(mailbox).send(reply_mail(reply_to, None), "maria@cliente.example", reply_to)
        await until(lambda: mailbox.handler.posted == 1)
    while await relay_once(stack.engine, stack.arq, "gateway"):
        pass
    await run_messaging(settings())

    (reply,) = await replies(stack)
    assert (reply.in_reply_to, reply.customer_id, reply.channel) == (row.id, customer, "email")
    assert reply.body.startswith("Ya pagué la factura A-3212")
