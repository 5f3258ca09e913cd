"""The account statement as a document, one layout for every output (issue 12, point 2): receivables' download
(HTML and PDF) and the statement messaging attaches to overdue and action emails (seed 004, principle 4: "anexo
conseguirán el estado de cuenta y las facturas"). Both build the same plain dict and call the same renderer, so a
customer reads one statement whichever way it reached them.

A statement dict has: ``customer`` (name, tax_id, external_id), ``as_of`` (date), ``invoices`` (number, issue_date,
due_date, days_overdue, status, promised_date, reported_date, currency, amount, open_amount, document_url),
``credits`` (kind, reference, currency, amount, date), ``payments`` (date, reference, invoice, currency, amount),
what ``summarize`` adds (aging, totals, overdue_count, oldest_days_overdue), the open late charges (issue 19:
``charges``, each invoice_number, description, charged_on, currency, amount; and ``charge_totals`` from
``charge_totals``: documents of their own, never added to the invoices' totals), the tenant's part from ``tenant_parts``
(company, collections, payment_instructions, payment_notification) and the contacts (advisor, supervisor,
collector: name, email, phone, whatsapp). Missing keys are left out of the page.

PDF rendering is CPU-bound (~50-300 ms a statement): ``render_pdf`` runs it in a small thread pool of its own, so
the event loop keeps serving while a PDF is made and other thread-pool users are not starved.
"""

import asyncio
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shared.aging import BUCKET_NAMES, aging_bucket
from shared.money import minor_units
from shared.validation import LANGUAGES
from shared.words import words

# Paused invoices are listed with their status, not demanded (issue 12; seed 000's statuses).
PAUSED = frozenset({"promise_to_pay", "payment_reported", "dispute"})
# Two threads: weasyprint holds the GIL for most of a render, more threads would only queue behind it.
PDF_THREADS = 2
PACE_MEMORY_SECONDS = 60.0

LABELS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Estado de cuenta",
        "as_of": "Al",
        "customer": "Cliente",
        "tax_id": "Identificación fiscal",
        "number": "Comprobante",
        "issued": "Emisión",
        "due": "Vencimiento",
        "days": "Días de atraso",
        "status": "Estado",
        "amount": "Importe",
        "open": "Saldo",
        "credits": "Créditos a favor",
        "payments": "Pagos y créditos aplicados",
        "date": "Fecha",
        "reference": "Referencia",
        "applied_to": "Aplicado a",
        "aging": "Antigüedad de saldos",
        "totals": "Totales",
        "overdue": "Vencido",
        "credit": "Créditos",
        "balance": "Saldo neto",
        "amount_due": "A pagar ahora",
        "amount_due_note": "Lo vencido y exigible (sin facturas en promesa, pago informado o disputa), menos créditos.",
        "overdue_count": "Facturas vencidas",
        "oldest": "Atraso más antiguo",
        "days_unit": "días",
        "contacts": "Sus contactos",
        "advisor": "Asesor",
        "supervisor": "Supervisor",
        "collector": "Gestor de cobranza",
        "collections": "Departamento de cobranzas",
        "none": "No hay comprobantes pendientes.",
        "current": "A vencer",
        "how_to_pay": "Cómo pagar",
        "how_to_notify": "Cómo informar un pago",
        "notify_send": "Envíe los siguientes datos",
        "notify_to": "a",
        "credit_note": "Nota de crédito",
        "unapplied_payment": "Pago a cuenta sin aplicar",
        "credit_generic": "Crédito a favor",
        "charges": "Cargos por mora",
        "charge": "Concepto",
        "charges_total": "Total de cargos",
        "charges_note": "Documentos propios, no incluidos en los saldos de las facturas.",
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
        "payments": "Payments and credits applied",
        "date": "Date",
        "reference": "Reference",
        "applied_to": "Applied to",
        "aging": "Aging",
        "totals": "Totals",
        "overdue": "Overdue",
        "credit": "Credits",
        "balance": "Balance",
        "amount_due": "To pay now",
        "amount_due_note": "What is overdue and claimed (not invoices under a promise, a reported payment or a "
        "dispute), less credits.",
        "overdue_count": "Overdue invoices",
        "oldest": "Oldest overdue",
        "days_unit": "days",
        "contacts": "Your contacts",
        "advisor": "Advisor",
        "supervisor": "Supervisor",
        "collector": "Collector",
        "collections": "Collections department",
        "none": "Nothing is owed.",
        "current": "Not yet due",
        "how_to_pay": "How to pay",
        "how_to_notify": "How to notify a payment",
        "notify_send": "Send us the following",
        "notify_to": "to",
        "credit_note": "Credit note",
        "unapplied_payment": "Unapplied payment",
        "credit_generic": "Credit",
        "charges": "Late charges",
        "charge": "Charge",
        "charges_total": "Total late charges",
        "charges_note": "Documents of their own, not included in the invoices' balances.",
    },
    "pt": {
        "title": "Extrato de conta",
        "as_of": "Em",
        "customer": "Cliente",
        "tax_id": "Identificação fiscal",
        "number": "Documento",
        "issued": "Emissão",
        "due": "Vencimento",
        "days": "Dias de atraso",
        "status": "Situação",
        "amount": "Valor",
        "open": "Saldo",
        "credits": "Créditos",
        "payments": "Pagamentos e créditos aplicados",
        "date": "Data",
        "reference": "Referência",
        "applied_to": "Aplicado a",
        "aging": "Vencimentos",
        "totals": "Totais",
        "overdue": "Vencido",
        "credit": "Créditos",
        "balance": "Saldo líquido",
        "amount_due": "A pagar agora",
        "amount_due_note": "O vencido e cobrado (sem faturas com promessa, pagamento informado ou contestação), "
        "menos créditos.",
        "overdue_count": "Faturas vencidas",
        "oldest": "Atraso mais antigo",
        "days_unit": "dias",
        "contacts": "Seus contatos",
        "advisor": "Assessor",
        "supervisor": "Supervisor",
        "collector": "Cobrador",
        "collections": "Departamento de cobrança",
        "none": "Não há documentos em aberto.",
        "current": "A vencer",
        "how_to_pay": "Como pagar",
        "how_to_notify": "Como informar um pagamento",
        "notify_send": "Envie os seguintes dados",
        "notify_to": "para",
        "credit_note": "Nota de crédito",
        "unapplied_payment": "Pagamento não aplicado",
        "credit_generic": "Crédito",
        "charges": "Encargos por atraso",
        "charge": "Encargo",
        "charges_total": "Total de encargos",
        "charges_note": "Documentos próprios, não incluídos nos saldos das faturas.",
    },
}
# An invoice's status as the statement says it (the words of the messages' status texts); {date} is the promised
# or reported date.
STATUS_TEXT: dict[str, dict[str, str]] = {
    "es": {
        "promise_to_pay": "Promesa de pago para el {date}",
        "payment_reported": "Pago informado el {date}",
        "dispute": "En disputa",
    },
    "en": {
        "promise_to_pay": "Payment promised for {date}",
        "payment_reported": "Payment reported on {date}",
        "dispute": "In dispute",
    },
    "pt": {
        "promise_to_pay": "Promessa de pagamento para {date}",
        "payment_reported": "Pagamento informado em {date}",
        "dispute": "Em disputa",
    },
}
# What to send to notify a payment when the tenant set nothing (seed 004, principle 6).
NOTIFY_FIELDS = {
    "es": (
        "Fecha de pago",
        "Número de factura o facturas pagadas",
        "Banco y número de cuenta donde se realizó el pago",
        "Monto del pago",
        "Número de referencia del depósito o transferencia",
    ),
    "en": (
        "Payment date",
        "Number of the invoice or invoices paid",
        "Bank and account number the payment was made to",
        "Amount paid",
        "Reference number of the deposit or transfer",
    ),
    "pt": (
        "Data do pagamento",
        "Número da fatura ou faturas pagas",
        "Banco e número da conta onde o pagamento foi feito",
        "Valor do pagamento",
        "Número de referência do depósito ou transferência",
    ),
}

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def language_of(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate and candidate[:2].lower() in LANGUAGES:
            return candidate[:2].lower()
    return "es"


def _zero(currency: str) -> Decimal:
    """Zero written with the currency's decimals (``0.00``), so totals read alike with or without amounts."""
    return Decimal(0).scaleb(-minor_units(currency))


def summarize(invoices: Iterable[Mapping[str, Any]], credits: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Aging and totals per currency (never added across currencies), the overdue count and the oldest days
    overdue. ``amount_due`` is what the reminders ask for: overdue and demanded (paused invoices excluded) minus
    the credits of that currency, never below zero; ``balance`` is everything open minus credits."""
    aging: dict[str, dict[str, Decimal]] = {}
    open_: dict[str, Decimal] = defaultdict(Decimal)
    overdue: dict[str, Decimal] = defaultdict(Decimal)
    demanded: dict[str, Decimal] = defaultdict(Decimal)
    credit: dict[str, Decimal] = defaultdict(Decimal)
    count, oldest = 0, None
    for line in invoices:
        currency, amount, days = line["currency"], line["open_amount"], line["days_overdue"]
        buckets = aging.setdefault(currency, dict.fromkeys(BUCKET_NAMES, _zero(currency)))
        buckets[aging_bucket(days)] += amount
        open_[currency] += amount
        if days > 0:
            overdue[currency] += amount
            if line["status"] not in PAUSED:
                demanded[currency] += amount
                count += 1
                oldest = days if oldest is None else max(oldest, days)
    for item in credits:
        credit[item["currency"]] += item["amount"]
    totals = []
    for c in sorted(set(open_) | set(credit)):
        zero = _zero(c)
        owed, credited = open_.get(c, zero) + zero, credit.get(c, zero) + zero
        totals.append(
            {
                "currency": c,
                "open_amount": owed,
                "overdue_amount": overdue.get(c, zero) + zero,
                "credit": credited,
                "balance": owed - credited,
                "amount_due": max(zero, demanded.get(c, zero) + zero - credited),
            }
        )
    return {
        "aging": [{"currency": c, "buckets": aging[c]} for c in sorted(aging)],
        "totals": totals,
        "overdue_count": count,
        "oldest_days_overdue": oldest,
    }


def charge_totals(charges: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The open late charges' total per currency (issue 19), currencies in order; never added across currencies
    nor into the invoices' totals (a charge is a document of its own)."""
    totals: dict[str, Decimal] = {}
    for charge in charges:
        currency = charge["currency"]
        totals[currency] = totals.get(currency, _zero(currency)) + charge["amount"]
    return [{"currency": c, "amount": totals[c]} for c in sorted(totals)]


def tenant_parts(profile: Mapping[str, Any] | None, tenant_name: str | None, language: str) -> dict[str, Any]:
    """The tenant's part of a statement from its messaging profile (seed 004, principles 2, 5, 6 and 7): who
    collects with its tax data, how to pay, how to notify a payment and the collections department."""
    profile = profile or {}
    company = dict(profile.get("company") or {})
    company["name"] = company.pop("display_name", None) or tenant_name or ""
    collections = {k: v for k, v in (profile.get("collections") or {}).items() if v}
    notify = profile.get("payment_notification") or {}
    notification = {
        "fields": list(notify.get("fields") or NOTIFY_FIELDS[language]),
        "email": notify.get("email") or collections.get("email"),
        "phone": notify.get("phone") or collections.get("office_phone") or collections.get("phone"),
        "fax": notify.get("fax") or collections.get("fax"),
        "whatsapp": notify.get("whatsapp"),
    }
    return {
        "company": company,
        "collections": collections or None,
        "payment_instructions": list(profile.get("payment_instructions") or ()),
        "payment_notification": notification,
    }


def render_html(statement: Mapping[str, Any], language: str | None, country: str | None = None) -> str:
    """The statement page, money and dates in the customer's locale (``shared.words``)."""
    language = language_of(language)
    w = words(language, country)
    status_text = STATUS_TEXT[language]

    def status(line: Mapping[str, Any]) -> str:
        text = status_text.get(line["status"])
        if text is None:
            return ""
        when = line.get("promised_date") if line["status"] == "promise_to_pay" else line.get("reported_date")
        return text.format(date=w.date(when) if when else "").strip()

    return _environment.get_template("statement.html").render(
        s=statement, t=LABELS[language], money=w.money, day=w.date, status=status, lang=language
    )


_local = threading.local()
_pool: ThreadPoolExecutor | None = None


def html_to_pdf(html: str) -> bytes:
    """HTML to PDF with weasyprint (blocking: call ``render_pdf`` from async code). Nothing is fetched: a
    statement carries no outside resource, and a link in an invoice must not make the renderer call it."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    fonts = getattr(_local, "fonts", None)
    if fonts is None:  # one per thread: loading the system's fonts is a third of a small render
        fonts = _local.fonts = FontConfiguration()
    fetcher = URLFetcher(allowed_protocols=("data",))
    started = time.monotonic()
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=fonts)
    _pace.note(time.monotonic() - started)
    return pdf


class _Pace:
    """How fast this process has been making PDFs lately (a moving average of one render's wall time)."""

    def __init__(self) -> None:
        self.seconds: float | None = None
        self.at = 0.0

    def note(self, seconds: float) -> None:
        self.seconds = seconds if self.seconds is None else 0.8 * self.seconds + 0.2 * seconds
        self.at = time.monotonic()

    def rate(self) -> float | None:
        if self.seconds is None or time.monotonic() - self.at > PACE_MEMORY_SECONDS:
            return None
        return PDF_THREADS / max(self.seconds, 0.001)


_pace = _Pace()


def pdf_rate() -> float | None:
    """PDFs per second this process makes, as measured in the last minute (None: it made none): a sender sizes
    its batches by it, so a batch of emails with PDFs ends in a bounded time."""
    return _pace.rate()


async def to_pdf(html: str) -> bytes:
    """``html_to_pdf`` off the event loop, in the statements' own threads."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=PDF_THREADS, thread_name_prefix="statement-pdf")
    return await asyncio.get_running_loop().run_in_executor(_pool, html_to_pdf, html)


async def render_pdf(statement: Mapping[str, Any], language: str | None, country: str | None = None) -> bytes:
    """The statement as PDF, rendered off the event loop."""
    return await to_pdf(render_html(statement, language, country))
