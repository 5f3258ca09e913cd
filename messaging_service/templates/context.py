"""The documented template tags and how a communication becomes them, with money and dates localized by babel.

Every value a template sees is built here (plain data, small frozen objects): the tag catalog served by the API,
the validation of saved templates and the renderer all read the same definitions.
"""

import re
import uuid
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from shared.contracts.common import InvoiceLine, Person
from shared.contracts.messaging import Communication, CommunicationKind
from shared.money import totals_by_currency
from shared.words import words

LANGUAGES = ("es", "en", "pt")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency; prints localized (``US$ 123.427,72`` in es, ``$123,427.72`` in en)."""

    amount: Decimal
    currency: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class LocalDate:
    """A date; prints in the short numeric form of the language (``21/11/2026``); ``long`` spells the month."""

    iso: str
    text: str
    long: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    legal_name: str | None = None
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    id: str | None
    external_id: str | None
    name: str
    tax_id: str | None
    country: str | None


@dataclass(frozen=True, slots=True)
class Contact:
    """A person a message points to (advisor, supervisor, collector) with click-to-chat links (seed 002)."""

    name: str
    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    whatsapp_link: str | None = None
    phone_link: str | None = None


@dataclass(frozen=True, slots=True)
class Collections:
    """How to reach the collections department (seed 004, principle 7)."""

    name: str | None = None
    department: str | None = None
    email: str | None = None
    phone: str | None = None
    fax: str | None = None
    office_phone: str | None = None
    whatsapp: str | None = None
    whatsapp_link: str | None = None
    hours: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentNotification:
    """What to send to notify a payment, and where (seed 004, principle 6)."""

    fields: tuple[str, ...] = ()
    email: str | None = None
    fax: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    whatsapp_link: str | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    kind: str
    currency: str
    amount: Money
    open_amount: Money
    issue_date: LocalDate
    due_date: LocalDate
    days_overdue: int
    days_to_due: int
    overdue: bool
    status: str
    document_url: str | None


@dataclass(frozen=True, slots=True)
class Action:
    code: str
    label: str


# tag -> (type, description). A list type is written [T]; ``Any`` accepts every attribute below it.
TAGS: dict[str, tuple[Any, str]] = {
    "company": (Company, "The company that collects: name, legal_name, tax_id, email, phone, website, address"),
    "customer": (Customer, "The customer: id, external_id, name, tax_id, country"),
    "recipient_name": (str, "Who the message is addressed to (a contact person), else the customer's name"),
    "invoices": ([Invoice], "Every invoice the message is about, oldest due first"),
    "overdue_invoices": ([Invoice], "The overdue ones among them"),
    "invoice_count": (int, "How many invoices"),
    "overdue_count": (int, "How many are overdue"),
    "totals": ([Money], "Open amount per currency (never added across currencies)"),
    "total": (str, "The totals in one phrase: `US$ 1.200,00 y $ 35.000,00`"),
    "oldest_days_overdue": (int, "Days overdue of the oldest invoice (0 when none is overdue)"),
    "days_overdue_text": (str, "`84 días de atraso` / `84 days overdue`"),
    "due_date": (LocalDate, "The nearest due date among the invoices (None when no invoice)"),
    "days_to_due": (int, "Days left to that due date (negative when past)"),
    "advisor": (Contact, "The customer's business advisor (seed 002): name, email, phone, whatsapp, whatsapp_link"),
    "supervisor": (Contact, "The advisor's supervisor, same fields"),
    "collector": (Contact, "The collector in charge, same fields"),
    "collections": (Collections, "The collections department: name, department, email, phone, fax, whatsapp..."),
    "payment_instructions": ([str], "How to pay: one line per method (bank accounts, cheques, portal)"),
    "payment_notification": (PaymentNotification, "What to send to notify a payment (fields) and where"),
    "portal_url": (str, "The customer's payment portal link"),
    "unsubscribe_url": (str, "The link that records an opt-out"),
    "action": (Action, "Action notices: code and label (suspend_service, legal, write_off)"),
    "statement_attached": (bool, "Whether the account statement is attached"),
    "kind": (str, "new_invoice, pre_due, overdue, action_notice, unreachable, alarm_digest, campaign"),
    "tone": (int, "1 friendly, 2 concerned, 3 firm (seed 004)"),
    "channel": (str, "email, sms, whatsapp"),
    "language": (str, "es, en, pt"),
    "locale": (str, "The locale used to format money and dates (es_AR, en_US...)"),
    "today": (LocalDate, "The date the message is rendered"),
    "data": (Any, "Extra data of the command (digests, campaigns): any key"),
    # Seed 003's variables, for templates written the Debitia way.
    "Name": (str, "Alias (seed 003): the customer's name"),
    "ActualDebit": (str, "Alias (seed 003): the amount owed (`total`)"),
    "DueDays": (int, "Alias (seed 003): days overdue of the oldest invoice"),
    "DueDate": (LocalDate, "Alias (seed 003): due date of the oldest overdue invoice"),
}

ACTION_LABELS = {
    "es": {
        "suspend_service": "suspensión del servicio",
        "legal": "inicio de acciones legales",
        "write_off": "cierre de la cuenta corriente",
        "call": "contacto telefónico",
    },
    "en": {
        "suspend_service": "service suspension",
        "legal": "legal action",
        "write_off": "closure of the credit account",
        "call": "phone call",
    },
    "pt": {
        "suspend_service": "suspensão do serviço",
        "legal": "início de ações judiciais",
        "write_off": "encerramento da conta corrente",
        "call": "contato telefônico",
    },
}
DAYS_OVERDUE = {
    "es": ("{n} día de atraso", "{n} días de atraso"),
    "en": ("{n} day overdue", "{n} days overdue"),
    "pt": ("{n} dia de atraso", "{n} dias de atraso"),
}
AND = {"es": " y ", "en": " and ", "pt": " e "}
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


def normalize_language(value: str | None, fallback: str | None = None) -> str:
    for candidate in (value, fallback):
        if candidate and candidate[:2].lower() in LANGUAGES:
            return candidate[:2].lower()
    return "es"


class Formatter:
    """Money and dates of one locale as the template values ``Money`` and ``LocalDate``. The writing itself is
    ``shared.words`` (issue 12, point 5), the same for digests and statements: ``US$ 123.427,72`` as seed 004
    writes it, ``$123,427.72`` in English, ``21/11/2026``. ``test_money_matches_babel`` checks it against babel."""

    def __init__(self, language: str, country: str | None) -> None:
        self.words = words(language, country)
        self.locale = self.words.locale
        self.locale_name = self.words.locale_name
        self.language = language
        self._dates: dict[date, LocalDate] = {}

    def pattern(self, currency: str) -> str:
        return self.words.pattern(currency)

    def money(self, amount: Decimal | int | float | str, currency: str) -> Money:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        return Money(value, currency, self.words.money(value, currency))

    def number(self, value: Decimal | int | float) -> str:
        return self.words.number(value)

    def plural(self, n: int, one: str, other: str) -> str:
        return self.words.plural(n, (one, other))

    def date(self, value: date) -> LocalDate:
        known = self._dates.get(value)
        if known is None:
            if len(self._dates) > 10_000:
                self._dates.clear()
            known = self._dates[value] = LocalDate(
                iso=value.isoformat(), text=self.words.date(value), long=self.words.date(value, "long")
            )
        return known


@lru_cache(maxsize=256)
def formatter(language: str, country: str | None) -> Formatter:
    return Formatter(language, country)


def whatsapp_link(phone: str | None) -> str | None:
    """Seed 002's click-to-contact: ``https://wa.me/<digits>``."""
    digits = re.sub(r"\D", "", phone or "")
    return f"https://wa.me/{digits}" if digits else None


def _contact(person: Person | None) -> Contact | None:
    if person is None:
        return None
    chat = person.whatsapp or person.phone
    return Contact(
        name=person.name,
        email=person.email,
        phone=person.phone,
        whatsapp=person.whatsapp,
        whatsapp_link=whatsapp_link(chat),
        phone_link=f"tel:{re.sub(r'[^0-9+]', '', person.phone)}" if person.phone else None,
    )


def join_amounts(amounts: list[Money], language: str) -> str:
    texts = [m.text for m in amounts]
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + AND[language] + texts[-1]


def days_overdue_text(days: int, language: str) -> str:
    one, many = DAYS_OVERDUE[language]
    return (one if days == 1 else many).format(n=days)


@dataclass
class TenantView:
    """What a template needs of the tenant: the gateway's facts and its messaging profile."""

    name: str
    country: str | None = None
    timezone: str | None = None
    language: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    # The tenant's part of the context per language, built once for a whole batch of messages.
    parts: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    def context_parts(self, language: str) -> dict[str, Any]:
        known = self.parts.get(language)
        if known is None:
            known = self.parts[language] = _tenant_parts(self, language)
        return known


def _tenant_parts(tenant: TenantView, language: str) -> dict[str, Any]:
    """Company, collections contact, payment instructions and how to notify a payment (seed 004, principles
    2, 5, 6 and 7): the same in every message of a tenant."""
    profile = tenant.profile or {}
    company_profile = profile.get("company") or {}
    company = Company(
        name=company_profile.get("display_name") or tenant.name,
        legal_name=company_profile.get("legal_name"),
        tax_id=company_profile.get("tax_id"),
        email=company_profile.get("email"),
        phone=company_profile.get("phone"),
        website=company_profile.get("website"),
        address=company_profile.get("address"),
    )
    collections_profile = profile.get("collections") or {}
    collections = Collections(
        **{k: collections_profile.get(k) for k in ("name", "department", "email", "phone", "fax", "office_phone")},
        whatsapp=collections_profile.get("whatsapp"),
        whatsapp_link=whatsapp_link(collections_profile.get("whatsapp")),
        hours=collections_profile.get("hours"),
    )
    notify_profile = profile.get("payment_notification") or {}
    notification = PaymentNotification(
        fields=tuple(notify_profile.get("fields") or NOTIFY_FIELDS[language]),
        email=notify_profile.get("email") or collections.email,
        fax=notify_profile.get("fax") or collections.fax,
        phone=notify_profile.get("phone") or collections.office_phone or collections.phone,
        whatsapp=notify_profile.get("whatsapp"),
        whatsapp_link=whatsapp_link(notify_profile.get("whatsapp")),
    )
    return {
        "company": company,
        "collections": collections,
        "payment_instructions": list(profile.get("payment_instructions") or ()),
        "payment_notification": notification,
    }


def _portal_url(template: str | None, communication: Communication) -> str | None:
    if not template:
        return None
    customer = communication.customer
    return template.replace("{customer_id}", str(customer.customer_id) if customer else "").replace(
        "{external_id}", (customer.external_id or "") if customer else ""
    )


def tone_for(communication: Communication) -> int:
    """The tone asked for, else by age (seed 004, principle 8): friendly up to 15 days overdue, concerned up
    to 45, firm after; action notices are firm."""
    if communication.tone:
        return communication.tone
    if communication.kind is CommunicationKind.ACTION_NOTICE:
        return 3
    days = oldest_days(communication)
    if communication.kind is not CommunicationKind.OVERDUE or days <= 15:
        return 1
    return 2 if days <= 45 else 3


def oldest_days(communication: Communication) -> int:
    if communication.oldest_days_overdue is not None:
        return max(0, communication.oldest_days_overdue)
    return max([0, *(i.days_overdue for i in communication.invoices)])


def build_context(
    communication: Communication,
    tenant: TenantView,
    *,
    language: str,
    today: date,
    unsubscribe_url: str | None = None,
) -> dict[str, Any]:
    """The values of every documented tag for one communication."""
    country = (communication.customer.country if communication.customer else None) or tenant.country
    fmt = formatter(language, country)
    profile = tenant.profile or {}
    lines = sorted(communication.invoices, key=lambda i: (i.due_date, i.number))
    invoices = [_invoice(line, fmt) for line in lines]
    overdue = [i for i in invoices if i.overdue]
    if communication.totals:
        totals = [fmt.money(t.amount, t.currency) for t in communication.totals]
    else:
        sums = totals_by_currency((i.currency, i.open_amount) for i in lines)
        totals = [fmt.money(amount, currency) for currency, amount in sums.items()]
    total = join_amounts(totals, language)
    days = oldest_days(communication)
    oldest_overdue = next((line for line in lines if line.days_overdue > 0), None)
    upcoming = min((line.due_date for line in lines), default=None)
    parts = tenant.context_parts(language)
    customer_info = communication.customer
    customer = Customer(
        id=str(customer_info.customer_id) if customer_info else None,
        external_id=customer_info.external_id if customer_info else None,
        name=customer_info.name if customer_info else (communication.recipient_name or ""),
        tax_id=customer_info.tax_id if customer_info else None,
        country=customer_info.country if customer_info else None,
    )
    action = None
    if communication.action:
        labels = ACTION_LABELS[language]
        action = Action(communication.action, labels.get(communication.action, communication.action.replace("_", " ")))
    data = communication.data or {}
    portal = data.get("portal_url") or _portal_url(profile.get("portal_url"), communication)
    due = fmt.date(upcoming) if upcoming else None
    name = customer.name or communication.recipient_name or ""
    return {
        **parts,
        "customer": customer,
        "recipient_name": communication.recipient_name or name,
        "invoices": invoices,
        "overdue_invoices": overdue,
        "invoice_count": len(invoices),
        "overdue_count": len(overdue),
        "totals": totals,
        "total": total,
        "oldest_days_overdue": days,
        "days_overdue_text": days_overdue_text(days, language),
        "due_date": due,
        "days_to_due": (upcoming - today).days if upcoming else None,
        "advisor": _contact(communication.advisor),
        "supervisor": _contact(communication.supervisor),
        "collector": _contact(communication.collector),
        "portal_url": portal,
        "unsubscribe_url": unsubscribe_url,
        "action": action,
        "statement_attached": communication.attach_statement,
        "kind": communication.kind.value,
        "tone": tone_for(communication),
        "channel": communication.channel.value,
        "language": language,
        "locale": fmt.locale_name,
        "today": fmt.date(today),
        "data": data,
        "Name": name,
        "ActualDebit": total,
        "DueDays": days,
        "DueDate": fmt.date(oldest_overdue.due_date) if oldest_overdue else due,
    }


def _invoice(line: InvoiceLine, fmt: Formatter) -> Invoice:
    return Invoice(
        number=line.number,
        kind=line.kind.value,
        currency=line.currency,
        amount=fmt.money(line.amount, line.currency),
        open_amount=fmt.money(line.open_amount, line.currency),
        issue_date=fmt.date(line.issue_date),
        due_date=fmt.date(line.due_date),
        days_overdue=line.days_overdue,
        days_to_due=-line.days_overdue,
        overdue=line.days_overdue > 0,
        status=line.status.value,
        document_url=line.document_url,
    )


def attributes(kind: Any) -> dict[str, Any] | None:
    """The attributes a template may read on a value of ``kind`` (None: anything)."""
    if kind is Any or not is_dataclass(kind):
        return None
    return {f.name: f.type for f in fields(kind)}


def sample_communication(
    kind: CommunicationKind = CommunicationKind.OVERDUE, language: str = "es", channel: str = "email"
) -> Communication:
    """The data a preview or a template check renders with: seed 004's model email (2 invoices, US$ 123.427,72,
    84 days), an advisor and supervisor with WhatsApp (seed 002)."""
    today = date.today()
    day = date.fromordinal
    pre_due = kind in (CommunicationKind.PRE_DUE, CommunicationKind.NEW_INVOICE)
    first_days, second_days = (-5, -20) if pre_due else (84, 31)
    return Communication.model_validate(
        {
            "idempotency_key": f"sample-{uuid.uuid4()}",
            "kind": kind,
            "channel": channel,
            "to": "pagos@cliente.example" if channel == "email" else "+5491155551234",
            "language": language,
            "customer": {
                "customer_id": uuid.UUID(int=1),
                "external_id": "C-000123",
                "name": "Distribuidora del Sur S.A.",
                "tax_id": "30-71234567-8",
                "country": "AR",
                "timezone": "America/Argentina/Buenos_Aires",
                "language": language,
            },
            "recipient_name": "Marisol Pérez",
            "invoices": [
                {
                    "invoice_id": uuid.UUID(int=11),
                    "number": "A-3212",
                    "currency": "USD",
                    "amount": "100000.00",
                    "open_amount": "100000.00",
                    "issue_date": day(today.toordinal() - first_days - 30),
                    "due_date": day(today.toordinal() - first_days),
                    "days_overdue": first_days,
                    "document_url": "https://erp.example/invoices/A-3212.pdf",
                },
                {
                    "invoice_id": uuid.UUID(int=12),
                    "number": "A-3307",
                    "currency": "USD",
                    "amount": "30000.00",
                    "open_amount": "23427.72",
                    "issue_date": day(today.toordinal() - second_days - 30),
                    "due_date": day(today.toordinal() - second_days),
                    "days_overdue": second_days,
                },
            ],
            "totals": [{"currency": "USD", "amount": "123427.72"}],
            "oldest_days_overdue": max(0, first_days),
            "action": "suspend_service" if kind is CommunicationKind.ACTION_NOTICE else None,
            "collector": {"name": "Andrea Figuera", "email": "afiguera@empresa.example", "phone": "+18294123122"},
            "advisor": {"name": "Juan Gómez", "phone": "+5491155550001", "whatsapp": "+5491155550001"},
            "supervisor": {"name": "Laura Díaz", "phone": "+5491155550002", "whatsapp": "+5491155550002"},
            "attach_statement": channel == "email",
            "data": {
                "title": "Resumen diario" if language == "es" else "Daily summary",
                "subject": None,
                "message": None,
                "lines": ["Distribuidora del Sur S.A.: promesa de pago vencida (A-3212)"],
            },
            "source": "preview",
        }
    )


SAMPLE_PROFILE: dict[str, Any] = {
    "company": {"legal_name": "Nimbox Dominicana SRL", "email": "cobros@empresa.example"},
    "collections": {
        "name": "Andrea Figuera",
        "department": "Departamento de Cobros",
        "phone": "+1(829)412-3122",
        "email": "afiguera@empresa.example",
        "fax": "+1(809)540-4082",
        "office_phone": "+1(829)540-4082",
        "whatsapp": "+18294123122",
    },
    "payment_instructions": [
        "Emitir cheque a nombre de Nimbox Dominicana SRL.",
        "Banco Mercantil: 0105-0091-58-1094324268",
        "Banco Provincial: 0108-0950-99-0104443717",
    ],
    "payment_notification": {"email": "pagos@empresa.example"},
    "portal_url": "https://pagos.empresa.example/c/{external_id}",
}
