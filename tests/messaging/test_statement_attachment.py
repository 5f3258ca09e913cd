"""The statement attached to an overdue email (seed 004, principle 4: "anexo conseguirán el estado de cuenta"):
a PDF whose text holds the message's figures (the customer's full position, issue 12), in the formats the tenant
chose (``statement_formats``: default pdf and csv)."""

import io
import re
import uuid
from datetime import date, timedelta

from pypdf import PdfReader

from messaging_service.delivery.dispatch import pdf_batch_limit
from messaging_service.delivery.statement import statement_attachments, statement_formats
from messaging_service.templates.context import TenantView
from messaging_service.templates.samples import SAMPLE_PROFILE, sample_communication
from shared import statement
from shared.contracts.messaging import Communication
from shared.words import words
from tests.messaging.support import deliver, messages, messaging_tenant, send, settings


def pdf_text(content: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def full_position() -> Communication:
    """Three overdue invoices (84, 40 and 10 days; the 10-day one reached the step), one not yet due, one under a
    payment promise (listed, not demanded) and a credit of US$ 500,00."""
    today = date.today()

    def line(number: str, days: int, amount: str, **extra: object) -> dict:
        return {
            "invoice_id": uuid.uuid4(),
            "number": number,
            "currency": "USD",
            "amount": amount,
            "open_amount": amount,
            "issue_date": today - timedelta(days=days + 30),
            "due_date": today - timedelta(days=days),
            "days_overdue": days,
            **extra,
        }

    promised = today + timedelta(days=6)
    return Communication.model_validate(
        {
            "idempotency_key": f"test-{uuid.uuid4()}",
            "kind": "overdue",
            "channel": "email",
            "to": "pagos@cliente.example",
            "language": "es",
            "customer": {
                "customer_id": uuid.uuid4(),
                "external_id": "C-001",
                "name": "Distribuidora del Sur S.A.",
                "tax_id": "30-71234567-8",
                "country": "AR",
                "timezone": "America/Argentina/Buenos_Aires",
            },
            "invoices": [
                line("A-0084", 84, "1000.00"),
                line("A-0040", 40, "2500.50"),
                line("A-0010", 10, "123.45", triggered=True),
                line("A-0020", 20, "800.00", status="promise_to_pay", demanded=False, promised_date=promised),
                line("A-0UP", -12, "400.00"),
            ],
            "totals": [{"currency": "USD", "amount": "3123.95"}],  # 3623.95 overdue demanded - 500.00 credit
            "open_totals": [{"currency": "USD", "amount": "3523.95"}],
            "credits": [{"currency": "USD", "amount": "500.00"}],
            "overdue_count": 3,
            "oldest_days_overdue": 84,
            "attach_statement": True,
            "source": "dunning",
            "source_ref": "run-1",
        }
    )


async def test_an_overdue_email_carries_the_statement_pdf_with_the_messages_figures(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    profile = {
        "company": {"legal_name": "Lácteos del Plata S.A.", "tax_id": "30-70000000-7"},
        "payment_instructions": ["Banco Galicia: CBU 0070999020000012345678"],
    }
    patched = await api.patch("/v1/messaging-settings", json={"profile": profile}, headers=tenant.admin)
    assert patched.status_code == 200, patched.text
    await send(stack, tenant.id, [full_position()])
    await deliver(stack, settings(smtp_port=mailbox.port))

    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent", row.error
    (mail,) = mailbox.messages()
    files = {p.get_filename(): p for p in mail.walk() if p.get_filename()}
    assert sorted(name.rsplit(".", 1)[1] for name in files) == ["csv", "pdf"]
    pdf = next(p for name, p in files.items() if name.endswith(".pdf"))
    assert pdf.get_content_type() == "application/pdf"
    text = pdf_text(pdf.get_payload(decode=True))

    w = words("es", "AR")
    assert "Estado de cuenta" in text and "Distribuidora del Sur S.A." in text and "30-71234567-8" in text
    assert "Lácteos del Plata S.A." in text and "30-70000000-7" in text and "CBU 0070999020000012345678" in text
    for number, amount in (("A-0084", "1000.00"), ("A-0040", "2500.50"), ("A-0010", "123.45"), ("A-0UP", "400.00")):
        assert number in text and w.money(amount, "USD") in text
    assert "A-0020" in text and "Promesa de pago para el" in text  # paused: listed with its status
    assert "US$ 3.123,95" in text  # what the message asks for: overdue demanded net of the credit
    assert "US$ 500,00" in text  # the credit
    assert re.search(r"Facturas vencidas: 3", text) and "84 días" in text
    assert "Antigüedad de saldos" in text and w.money("1000.00", "USD") in text
    # the message itself states the same total (the shipped template)
    assert "US$ 3.123,95" in (row.body_text or "")


async def test_a_tenant_that_chose_csv_only_gets_no_pdf(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    patched = await api.patch(
        "/v1/messaging-settings", json={"profile": {"statement_formats": ["csv"]}}, headers=tenant.admin
    )
    assert patched.status_code == 200 and patched.json()["profile"]["statement_formats"] == ["csv"]
    await send(stack, tenant.id, [full_position()])
    await deliver(stack, settings(smtp_port=mailbox.port))

    (mail,) = mailbox.messages()
    names = [p.get_filename() for p in mail.walk() if p.get_filename()]
    assert len(names) == 1 and names[0].endswith(".csv")


async def test_statement_formats_are_validated_naming_the_field(api, stack):
    tenant = await messaging_tenant(api, stack)
    for bad in (["doc"], [], ["pdf", "pdf"]):
        response = await api.patch(
            "/v1/messaging-settings", json={"profile": {"statement_formats": bad}}, headers=tenant.admin
        )
        assert response.status_code == 422, bad
        assert "statement_formats" in response.text


def test_the_formats_default_to_pdf_and_csv_in_a_fixed_order():
    assert statement_formats(TenantView(name="T")) == ("pdf", "csv")
    assert statement_formats(TenantView(name="T", profile={"statement_formats": ["html", "pdf"]})) == ("pdf", "html")


def test_the_statement_renders_in_every_language():
    tenant = TenantView(name="Nimbox", country="AR", profile=SAMPLE_PROFILE)
    for language, title in (("es", "Estado de cuenta"), ("en", "Account statement"), ("pt", "Extrato de conta")):
        payload = sample_communication(date.today(), language=language).model_dump(mode="json")
        (pdf,) = statement_attachments(payload, tenant, language, date(2026, 11, 23), formats=("pdf",))
        text = pdf_text(pdf.content)
        assert title in text and "A-3212" in text and "A-3350" in text


def test_pdf_batches_hold_what_the_pdf_threads_make(monkeypatch):
    """A batch of emails with PDFs must end well within the deliver job's timeout (issue 12: ~0.1-0.5 s a PDF)."""
    pace = statement._Pace()
    monkeypatch.setattr(statement, "_pace", pace)
    config = settings(delivery_batch_size=250, delivery_parallelism=4)
    assert pdf_batch_limit(config) == 20  # no PDF made lately: half a second each is assumed
    pace.note(0.1)  # two threads, a tenth of a second each: 20 PDFs/s, 400 in 20 s, shared by 4 jobs
    assert pdf_batch_limit(config) == 100
    pace.seconds = None
    pace.note(0.5)  # 4 PDFs/s, 80 in 20 s, shared by 4 jobs
    assert pdf_batch_limit(config) == 20
    pace.note(60.0)
    assert pdf_batch_limit(config) == 5  # never below a few
    pace.at -= statement.PACE_MEMORY_SECONDS + 1
    assert pdf_batch_limit(config) == 20  # forgotten after a minute without PDFs
