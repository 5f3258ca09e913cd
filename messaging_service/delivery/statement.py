"""The account statement attached to an email (seed 004, principle 4: "anexo conseguirán el estado de cuenta y las
facturas"), in the customer's language: a PDF, a CSV for the payer's accounts-payable system and/or the HTML page,
as the tenant chose (``statement_formats`` in its messaging profile; default PDF and CSV).

Built from the message's stored payload when the email goes out: the customer's whole open position (issue 12),
its credits and open late charges (issue 19), the tenant's identity, payment instructions and how to notify a
payment. The page is the one statement layout of ``shared.statement``, the same receivables' ``statement.pdf``
download uses. A PDF costs tens to hundreds of milliseconds of CPU: ``statement_files`` renders it in the
statements' own threads, off the loop.
"""

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from messaging_service.channels.email import Attachment
from messaging_service.templates.context import TenantView
from shared.statement import charge_totals, html_to_pdf, render_html, summarize, tenant_parts, to_pdf

FORMATS = ("pdf", "html", "csv")
DEFAULT_FORMATS = ("pdf", "csv")
COLUMNS = {
    "es": ("Factura", "Emisión", "Vencimiento", "Días de atraso", "Estado", "Moneda", "Importe", "Saldo"),
    "en": ("Invoice", "Issued", "Due", "Days overdue", "Status", "Currency", "Amount", "Balance"),
    "pt": ("Fatura", "Emissão", "Vencimento", "Dias de atraso", "Situação", "Moeda", "Valor", "Saldo"),
}
FILENAMES = {"es": "estado-de-cuenta", "en": "account-statement", "pt": "extrato-de-conta"}


def statement_formats(tenant: TenantView) -> tuple[str, ...]:
    """The tenant's choice, in a fixed order (PDF first); the default when it chose nothing."""
    chosen = set((tenant.profile or {}).get("statement_formats") or DEFAULT_FORMATS)
    return tuple(f for f in FORMATS if f in chosen)


def needs_pdf(channel: str, attach_statement: bool, tenant: TenantView) -> bool:
    """Whether a message will render a PDF when it goes (decided at acceptance): an email with the statement
    attached, for a tenant whose formats hold PDF. The deliver jobs send these apart, a few per batch."""
    return channel == "email" and attach_statement and "pdf" in statement_formats(tenant)


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def statement_document(payload: dict[str, Any], tenant: TenantView, language: str, today: date) -> dict[str, Any]:
    """The shared statement dict of a stored communication (its JSON form): the invoices in the payload's order
    (overdue oldest first, then not yet due), days overdue as the message counted them."""
    customer = payload.get("customer") or {}
    invoices = [
        {
            **line,
            "amount": Decimal(str(line["amount"])),
            "open_amount": Decimal(str(line["open_amount"])),
            "issue_date": _day(line["issue_date"]),
            "due_date": _day(line["due_date"]),
            "promised_date": _day(line.get("promised_date")),
            "reported_date": _day(line.get("reported_date")),
            "days_overdue": int(line["days_overdue"]),
            "status": line.get("status") or "normal",
        }
        for line in payload.get("invoices") or ()
    ]
    credits = [
        {"kind": "credit_generic", "currency": c["currency"], "amount": Decimal(str(c["amount"]))}
        for c in payload.get("credits") or ()
    ]
    charges = sorted(
        (
            {**c, "amount": Decimal(str(c["amount"])), "charged_on": _day(c["charged_on"])}
            for c in payload.get("charges") or ()
        ),
        key=lambda c: (c["charged_on"], c["invoice_number"]),
    )
    return {
        "customer": {
            "name": customer.get("name") or payload.get("recipient_name") or "",
            "tax_id": customer.get("tax_id"),
            "external_id": customer.get("external_id"),
        },
        "as_of": today,
        "invoices": invoices,
        "credits": credits,
        **summarize(invoices, credits),
        "charges": charges,  # issue 19: the open late charges, a section of their own
        "charge_totals": charge_totals(charges),
        **tenant_parts(tenant.profile, tenant.name, language),
        **{role: payload.get(role) for role in ("advisor", "supervisor", "collector")},
    }


def _csv(document: dict[str, Any], language: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS[language])
    for line in document["invoices"]:
        days = line["days_overdue"]
        writer.writerow(
            [
                line["number"],
                line["issue_date"].isoformat(),
                line["due_date"].isoformat(),
                max(0, days),
                line["status"],
                line["currency"],
                line["amount"],
                line["open_amount"],
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode()


def _country(payload: dict[str, Any], tenant: TenantView) -> str | None:
    return (payload.get("customer") or {}).get("country") or tenant.country


def _page(
    payload: dict[str, Any], tenant: TenantView, language: str, today: date, formats: tuple[str, ...]
) -> tuple[dict[str, Any], str]:
    document = statement_document(payload, tenant, language, today)
    wanted = {"html", "pdf"} & set(formats)
    return document, render_html(document, language, _country(payload, tenant)) if wanted else ""


def _files(
    document: dict[str, Any], html: str, pdf: bytes | None, language: str, today: date, formats: tuple[str, ...]
) -> list[Attachment]:
    name = f"{FILENAMES[language]}-{today.isoformat()}"
    files = {
        "pdf": lambda: Attachment(f"{name}.pdf", pdf or b"", "application", "pdf"),
        "csv": lambda: Attachment(f"{name}.csv", _csv(document, language), "text", "csv"),
        "html": lambda: Attachment(f"{name}.html", html.encode(), "text", "html"),
    }
    return [files[kind]() for kind in FORMATS if kind in formats]


def statement_attachments(
    payload: dict[str, Any],
    tenant: TenantView,
    language: str,
    today: date,
    formats: tuple[str, ...] = ("html", "csv"),
) -> list[Attachment]:
    """The statement in these formats, rendered here (a PDF blocks: async code calls ``statement_files``)."""
    document, html = _page(payload, tenant, language, today, formats)
    return _files(document, html, html_to_pdf(html) if "pdf" in formats else None, language, today, formats)


async def statement_files(payload: dict[str, Any], tenant: TenantView, language: str, today: date) -> list[Attachment]:
    """The statement in the tenant's formats, its PDF rendered off the event loop."""
    formats = statement_formats(tenant)
    document, html = _page(payload, tenant, language, today, formats)
    pdf = await to_pdf(html) if "pdf" in formats else None
    return _files(document, html, pdf, language, today, formats)
