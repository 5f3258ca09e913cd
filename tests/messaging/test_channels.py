"""Building blocks without a server: MIME written by hand, events written by hand, the statement."""

import email
import email.policy
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace

from messaging_service.channels.config import EmailConfig, SmtpConfig
from messaging_service.channels.email import Attachment, build_email, encoded_words
from messaging_service.channels.providers import whatsapp_payload
from messaging_service.delivery.events import status_changed, status_rows
from messaging_service.delivery.statement import statement_attachments
from messaging_service.templates.context import TenantView
from messaging_service.templates.samples import SAMPLE_PROFILE, sample_communication
from shared.contracts.messaging import MessageStatusChanged
from shared.messages import Envelope

CONFIG = EmailConfig(
    SmtpConfig("127.0.0.1", 25, None, None, "none", 5), "cobros@empresa.example", "Empresa Ñandú", None
)


def test_the_email_is_valid_mime_for_the_stdlib_parser():
    subject = "Recordatorio de pago Ñandú S.A. (84 días de atraso, US$ 123.427,72) — aviso largo para plegar"
    raw = build_email(
        CONFIG,
        to="pagos@cliente.example",
        to_name="Distribuidora Ñ, S.A.",
        subject=subject,
        text="Hola ñ\nlínea dos",
        html="<p>ñ</p>",
        message_id="<m1@empresa.example>",
        attachments=[Attachment("estado.csv", "Factura;Saldo\nA-1;ñ".encode(), "text", "csv")],
        unsubscribe_url="https://api.example/webhooks/messaging/unsubscribe/abc",
        language="es",
    )
    assert raw.isascii() and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message.defects == [] and all(not part.defects for part in message.walk())
    assert message["Subject"] == subject
    assert message["From"].addresses[0].display_name == "Empresa Ñandú"
    assert message["To"].addresses[0].display_name == "Distribuidora Ñ, S.A."
    assert message["List-Unsubscribe"] == "<https://api.example/webhooks/messaging/unsubscribe/abc>"
    assert message.get_body(("plain",)).get_content() == "Hola ñ\nlínea dos"
    assert message.get_body(("html",)).get_content() == "<p>ñ</p>"
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "estado.csv" and attachment.get_content() == "Factura;Saldo\nA-1;ñ"


def test_encoded_words_stay_short():
    text = "ñ" * 100
    words = encoded_words(text).split("\r\n ")
    assert len(words) > 1 and all(len(w) <= 75 for w in words)
    assert (
        str(email.message_from_string(f"Subject: {encoded_words(text)}\n\n", policy=email.policy.default)["Subject"])
        == text
    )


def test_status_rows_match_the_contract():
    row = SimpleNamespace(
        id=uuid.uuid4(),
        idempotency_key="dunning:1",
        source="dunning",
        source_ref="run-1",
        customer_id=uuid.uuid4(),
        customer_external_id="ERP-C-100",
        kind="overdue",
        channel="email",
        to_address="pagos@cliente.example",
        subject="Recordatorio",
        invoice_ids=[uuid.uuid4()],
        state="deferred",
        attempts=0,
        error=None,
        error_code=None,
        scheduled_at=datetime(2026, 11, 24, 11, tzinfo=UTC),
        deferred_reason="quiet_hours",
        body_text="Estimado  cliente:\n\nsu saldo…",
    )
    at = datetime.now(UTC)
    (written,) = status_rows(uuid.uuid4(), [row], at, with_preview=True)
    assert written["payload"] == status_changed(row, at=at).model_dump(mode="json")
    envelope = Envelope(
        id=written["id"],
        type=written["message_type"],
        version=written["version"],
        tenant_id=written["tenant_id"],
        payload=written["payload"],
    )
    assert isinstance(envelope.open(), MessageStatusChanged)
    assert written["consumers"] == ["dunning", "receivables", "webhooks"]  # the subscribers, in a stable order


def test_the_statement_lists_the_invoices_in_the_customers_language():
    payload = sample_communication(date.today()).model_dump(mode="json")
    tenant = TenantView(name="Nimbox", country="AR", profile=SAMPLE_PROFILE)
    page, sheet = statement_attachments(payload, tenant, "es", date(2026, 11, 23))
    assert page.filename == "estado-de-cuenta-2026-11-23.html" and sheet.filename.endswith(".csv")
    html = page.content.decode()
    assert "Estado de cuenta" in html and "A-3212" in html and "US$ 100.000,00" in html and "Nimbox" in html
    assert "23 de noviembre de 2026" in html
    assert (
        sheet.content.decode("utf-8-sig").splitlines()[0]
        == "Factura,Emisión,Vencimiento,Días de atraso,Estado,Moneda,Importe,Saldo"
    )


def test_a_whatsapp_message_without_an_approved_template_is_free_text():
    assert whatsapp_payload("+54 9 11 5555-1234", None, "hola") == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5491155551234",
        "type": "text",
        "text": {"body": "hola"},
    }
