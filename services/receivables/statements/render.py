"""The printable statement: HTML from a jinja2 template (autoescaped), money and dates in the customer's locale,
written by ``shared.words`` as in messages and digests (issue 12, point 5)."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shared.words import words

LABELS = {
    "es": {
        "title": "Estado de cuenta",
        "as_of": "Al",
        "customer": "Cliente",
        "tax_id": "CUIT / RUT / RFC",
        "number": "Comprobante",
        "issued": "Emisión",
        "due": "Vencimiento",
        "days": "Días de atraso",
        "status": "Estado",
        "amount": "Importe",
        "open": "Saldo",
        "credits": "Créditos a favor",
        "aging": "Antigüedad de saldos",
        "totals": "Totales",
        "overdue": "Vencido",
        "credit": "Crédito",
        "balance": "Saldo neto",
        "contacts": "Sus contactos",
        "advisor": "Asesor",
        "supervisor": "Supervisor",
        "collector": "Cobranzas",
        "none": "No hay comprobantes pendientes.",
        "current": "A vencer",
    },
    "en": {
        "title": "Account statement",
        "as_of": "As of",
        "customer": "Customer",
        "tax_id": "Tax id",
        "number": "Document",
        "issued": "Issued",
        "due": "Due",
        "days": "Days overdue",
        "status": "Status",
        "amount": "Amount",
        "open": "Open",
        "credits": "Credits",
        "aging": "Aging",
        "totals": "Totals",
        "overdue": "Overdue",
        "credit": "Credit",
        "balance": "Balance",
        "contacts": "Your contacts",
        "advisor": "Advisor",
        "supervisor": "Supervisor",
        "collector": "Collections",
        "none": "Nothing is owed.",
        "current": "Not yet due",
    },
    "pt": {
        "title": "Extrato de conta",
        "as_of": "Em",
        "customer": "Cliente",
        "tax_id": "CNPJ / CPF",
        "number": "Documento",
        "issued": "Emissão",
        "due": "Vencimento",
        "days": "Dias de atraso",
        "status": "Situação",
        "amount": "Valor",
        "open": "Saldo",
        "credits": "Créditos",
        "aging": "Vencimentos",
        "totals": "Totais",
        "overdue": "Vencido",
        "credit": "Crédito",
        "balance": "Saldo líquido",
        "contacts": "Seus contatos",
        "advisor": "Assessor",
        "supervisor": "Supervisor",
        "collector": "Cobrança",
        "none": "Não há documentos em aberto.",
        "current": "A vencer",
    },
}

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_statement(statement: dict[str, Any], language: str | None) -> str:
    customer = statement["customer"]
    language = language if language in LABELS else "es"
    written = words(language, customer.get("country"))

    def money(amount: Decimal, currency: str) -> str:
        return written.money(amount, currency)

    def day(value: date | None) -> str:
        return written.date(value, "medium") if value else ""

    return _environment.get_template("statement.html").render(
        s=statement, t=LABELS[language], money=money, day=day, lang=language
    )
