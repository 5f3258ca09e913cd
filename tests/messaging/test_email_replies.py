"""Email replies (issue 10, point 5): a customer answering a reminder reaches the collector.

Replies are written as mail clients write them (Gmail's folded "El ... escribió:", Outlook's "Mensaje original"),
sent over SMTP to the local SMTP server, which posts them to the inbound webhook.
"""

import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import text

from messaging_service.inbound.rules import body_text, cut_quoted_history, header_text, is_auto_reply, parse_message
from services.receivables.worker import WorkerSettings as ReceivablesWorker
from tests.messaging.inbound_mail import InboundMail, inbound_mail
from tests.messaging.support import (
    communication,
    customer_with_email,
    deliver,
    messages,
    messaging_tenant,
    outbox,
    relay_messaging,
    send,
    settings,
)
from tests.support import run_worker

GMAIL_ES = (
    "Ya pagué la factura A-3212 ayer por transferencia.\r\n"
    "Les envío el comprobante.\r\n"
    "\r\n"
    "El dom, 6 dic 2026 a las 11:40, Empresa Demo <\r\n"
    "cobranzas@cobranza.localhost> escribió:\r\n"
    "\r\n"
    "> Estimado cliente:\r\n"
    "> Le recordamos que la factura A-3212 venció hace 84 días.\r\n"
)


def reply_mail(to: str, in_reply_to: str | None, body: str = GMAIL_ES, **headers: str) -> bytes:
    """A reply as a mail client sends it: text and HTML, Re: subject, In-Reply-To and References."""
    mail = EmailMessage()
    mail["From"] = "María Pérez <Maria.Perez@Cliente.example>"
    mail["To"] = to
    mail["Subject"] = "Re: Recordatorio de pago (US$ 123.427,72)"
    mail["Message-ID"] = f"<CAF{uuid.uuid4().hex}@mail.gmail.com>"
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    mail.add_alternative(f"<div dir='ltr'>{body.splitlines()[0]}</div><blockquote>old</blockquote>", subtype="html")
    return mail.as_bytes()


# ---- pure ---------------------------------------------------------------------------------------------------------


def test_gmails_folded_spanish_intro_and_the_quoted_lines_are_cut():
    assert (
        cut_quoted_history(GMAIL_ES) == "Ya pagué la factura A-3212 ayer por transferencia.\nLes envío el comprobante."
    )


@pytest.mark.parametrize(
    "history",
    [
        "On Sun, Dec 6, 2026 at 11:40 AM Empresa Demo <cobranzas@cobranza.localhost> wrote:\n> hello",
        "Em dom., 6 de dez. de 2026 às 11:40, Empresa <cobranzas@x.example> escreveu:\n> olá",
        "-----Mensaje original-----\nDe: Empresa Demo\nEnviado el: domingo",
        "-----Original Message-----\nFrom: Empresa Demo",
        "-- \nMaría Pérez\nTesorería",
    ],
)
def test_quoted_history_in_every_common_shape_is_cut(history):
    assert cut_quoted_history(f"Pago hecho.\n\n{history}\n") == "Pago hecho."


def test_quoted_lines_in_between_are_left_out():
    text_ = "> ¿Cuándo paga?\nEl viernes.\n> ¿Monto?\nTodo."
    assert cut_quoted_history(text_) == "El viernes.\nTodo."


@pytest.mark.parametrize(
    ("headers", "auto"),
    [
        ({"Auto-Submitted": "auto-replied"}, True),
        ({"Auto-Submitted": "no"}, False),
        ({"X-Autoreply": "yes"}, True),
        ({"Precedence": "auto_reply"}, True),
        ({"Subject": "Respuesta automática: Recordatorio de pago"}, True),
        ({"Subject": "Fuera de la oficina hasta el lunes"}, True),
        ({"Subject": "Out of Office: Recordatorio"}, True),
        ({"Subject": "=?utf-8?q?Resposta_autom=C3=A1tica?="}, True),
        ({"Subject": "Re: Recordatorio de pago"}, False),
    ],
)
def test_automatic_answers_are_told_apart(headers, auto):
    raw = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\nhola\r\n"
    assert is_auto_reply(parse_message(raw.encode())) is auto


def test_the_text_part_is_read_else_the_html_as_text():
    mail = parse_message(reply_mail("x@y.example", None, body="Hola\nya pagué"))
    assert body_text(mail).strip() == "Hola\nya pagué"
    html_only = EmailMessage()
    html_only.set_content("<p>Ya pagu&eacute;</p><blockquote>viejo</blockquote>", subtype="html")
    assert body_text(parse_message(html_only.as_bytes())).strip() == "Ya pagué"
    assert header_text("=?utf-8?b?UmU6IMOxYW5kw7o=?=") == "Re: ñandú"


# ---- through the SMTP server and the inbound webhook --------------------------------------------------------------


@pytest.fixture
async def inbound(stack, tmp_path: Path):
    async with inbound_mail(stack, tmp_path / "mail") as mail:
        yield mail


async def sent_to_customer(api, stack, inbound: InboundMail):
    """A customer of receivables with an email contact, and one reminder sent to it."""
    tenant = await messaging_tenant(api, stack)
    customer = await customer_with_email(api, tenant, "pagos@x.example")
    await send(stack, tenant.id, [communication(to="pagos@x.example", customer_id=customer)])
    await deliver(stack, settings(smtp_port=inbound.mailbox.port))
    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent"
    return tenant, customer, row


async def replies(stack) -> list:
    async with stack.engine.connect() as conn:
        return list((await conn.execute(text("SELECT * FROM messaging.replies ORDER BY received_at"))).all())


async def test_an_email_reply_reaches_the_customers_timeline_and_the_collector(api, stack, inbound):
    tenant, customer, row = await sent_to_customer(api, stack, inbound)
    reply_to = f"reply+{row.id.hex}@replies.cobranza.localhost"
    raw = reply_mail(reply_to, f"<{row.id}@cobranza.localhost>")
    await inbound.send(raw, "maria.perez@cliente.example", reply_to)

    assert await inbound.wait_for(1) == ["reply"]
    (reply,) = await replies(stack)
    assert (reply.tenant_id, reply.customer_id, reply.in_reply_to) == (tenant.id, customer, row.id)
    assert (reply.channel, reply.from_address) == ("email", "maria.perez@cliente.example")
    assert reply.subject == "Re: Recordatorio de pago (US$ 123.427,72)"
    assert reply.body == "Ya pagué la factura A-3212 ayer por transferencia.\nLes envío el comprobante."
    (event,) = await outbox(stack, "messaging.reply_received")
    assert event.payload["in_reply_to"] == str(row.id) and event.payload["customer_id"] == str(customer)

    await relay_messaging(stack)
    await run_worker(ReceivablesWorker)
    timeline = await api.get(f"/v1/customers/{customer}/timeline?kind=reply_received", headers=tenant.admin)
    assert timeline.status_code == 200, timeline.text
    (entry,) = timeline.json()["items"]
    assert entry["data"]["from"] == "maria.perez@cliente.example"
    assert "Ya pagué" in entry["summary"]


async def test_a_reply_without_our_token_is_matched_by_in_reply_to(api, stack, inbound):
    _, customer, row = await sent_to_customer(api, stack, inbound)
    mailbox = "cobranzas@replies.cobranza.localhost"
    await inbound.send(reply_mail(mailbox, f"<{row.id}@cobranza.localhost>"), "maria@cliente.example", mailbox)

    assert await inbound.wait_for(1) == ["reply"]
    (reply,) = await replies(stack)
    assert (reply.in_reply_to, reply.customer_id) == (row.id, customer)


async def test_the_same_reply_posted_twice_is_recorded_once(api, stack, inbound):
    _, _, row = await sent_to_customer(api, stack, inbound)
    reply_to = f"reply+{row.id.hex}@replies.cobranza.localhost"
    raw = reply_mail(reply_to, None)
    await inbound.send(raw, "maria@cliente.example", reply_to)
    await inbound.send(raw, "maria@cliente.example", reply_to)

    assert sorted(await inbound.wait_for(2)) == ["ignored", "reply"]
    assert len(await replies(stack)) == 1
    assert len(await outbox(stack, "messaging.reply_received")) == 1


async def test_an_out_of_office_answer_and_mail_naming_no_message_are_not_replies(api, stack, inbound):
    _, _, row = await sent_to_customer(api, stack, inbound)
    reply_to = f"reply+{row.id.hex}@replies.cobranza.localhost"
    away = reply_mail(reply_to, None, body="Estoy de vacaciones hasta el 15.", Auto_Submitted="auto-replied")
    await inbound.send(away, "maria@cliente.example", reply_to)
    stranger = f"reply+{uuid.uuid4().hex}@replies.cobranza.localhost"
    await inbound.send(reply_mail(stranger, None), "someone@else.example", stranger)

    assert await inbound.wait_for(2) == ["ignored", "ignored"]
    assert await replies(stack) == []
    assert await outbox(stack, "messaging.reply_received") == []
