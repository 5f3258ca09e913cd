"""The documented template tags and how a communication becomes them, with money and dates localized by babel.

Every value a template sees is built here (plain data, small frozen objects): the tag catalog served by the API,
the validation of saved templates and the renderer all read the same definitions.
"""

import re
import uuid
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from shared.clock import TenantClock
from shared.contracts.common import InvoiceLine, Person
from shared.contracts.messaging import Communication, CommunicationKind, tone_by_age
from shared.money import totals_by_currency
from shared.statement import NOTIFY_FIELDS  # what to send to notify a payment (seed 004): statements say it too
from shared.words import AND, words

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
    """An invoice of the customer's position (issue 12): ``triggered`` if it reached the step that caused the
    message, ``demanded`` unless paused (promise, payment reported, dispute: ``paused``), ``status_text`` says why
    in words ("promesa de pago para el 12/03/2026")."""

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
    triggered: bool = False
    demanded: bool = True
    paused: bool = False
    promised_date: LocalDate | None = None
    reported_date: LocalDate | None = None
    status_text: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """An action notice's action: ``label`` for titles ("suspensión del servicio"), ``noun`` with its article
    for sentences ("hemos dispuesto la suspensión del servicio")."""

    code: str
    label: str
    noun: str = ""


# tag -> (type, description). A list type is written [T]; ``Any`` accepts every attribute below it.
TAGS: dict[str, tuple[Any, str]] = {
    "company": (Company, "The company that collects: name, legal_name, tax_id, email, phone, website, address"),
    "customer": (Customer, "The customer: id, external_id, name, tax_id, country"),
    "recipient_name": (str, "Who the message is addressed to (a contact person), else the customer's name"),
    "invoices": (
        [Invoice],
        "The customer's whole open position, overdue first (oldest due first) then not yet due; each with number, "
        "kind, currency, amount, open_amount, issue_date, due_date, days_overdue, days_to_due, overdue, status "
        "(normal, promise_to_pay, payment_reported, dispute), status_text (`promesa de pago para el 12/03/2026`), "
        "promised_date, reported_date, triggered (reached the step that caused this message), demanded (asked for "
        "now; false when paused), paused, document_url",
    ),
    "overdue_invoices": ([Invoice], "The overdue invoices asked for (paused ones excluded)"),
    "upcoming_invoices": ([Invoice], "The invoices not yet due that are asked for (paused ones excluded)"),
    "paused_invoices": ([Invoice], "Invoices under a promise, a reported payment or a dispute: listed, not asked for"),
    "triggered_invoices": (
        [Invoice],
        "The invoices that reached the step that caused this message (all of them, if none is marked)",
    ),
    "invoice_count": (int, "How many invoices in the position"),
    "overdue_count": (int, "How many overdue invoices are asked for"),
    "upcoming_count": (int, "How many invoices not yet due are asked for"),
    "paused_count": (int, "How many invoices are paused"),
    "triggered_count": (int, "How many invoices caused this message"),
    "triggered_numbers": (str, "Their numbers in one phrase: `A-3212 y A-3307`"),
    "paused_text": (str, "The paused invoices in one phrase: `A-3350 (promesa de pago para el 12/03/2026)`"),
    "totals": (
        [Money],
        "What is asked for now, per currency: overdue and not paused, minus unapplied credits, never below zero "
        "(never added across currencies)",
    ),
    "total": (str, "The totals in one phrase: `US$ 1.200,00 y $ 35.000,00`"),
    "open_totals": ([Money], "Everything open and asked for (overdue and not yet due) minus credits, per currency"),
    "open_total": (str, "The open totals in one phrase"),
    "triggered_totals": ([Money], "Open amount of the invoices that caused this message, per currency"),
    "triggered_total": (str, "Those amounts in one phrase (what a new-invoice or pre-due reminder is about)"),
    "credits": ([Money], "Unapplied credits in the customer's favour, per currency (credit notes, over-payments)"),
    "credit_total": (str, "The credits in one phrase"),
    "oldest_days_overdue": (int, "Days overdue of the oldest overdue invoice asked for (0 when none)"),
    "days_overdue_text": (str, "`84 días de atraso` / `84 days overdue` (singular or plural as the number asks)"),
    "due_date": (LocalDate, "The nearest due date among the invoices that caused the message (None when none)"),
    "days_to_due": (int, "Days left to that due date (negative when past)"),
    "advisor": (Contact, "The customer's business advisor (seed 002): name, email, phone, whatsapp, whatsapp_link"),
    "supervisor": (Contact, "The advisor's supervisor, same fields"),
    "collector": (Contact, "The collector in charge, same fields"),
    "collections": (Collections, "The collections department: name, department, email, phone, fax, whatsapp..."),
    "payment_instructions": ([str], "How to pay: one line per method (bank accounts, cheques, portal)"),
    "payment_notification": (PaymentNotification, "What to send to notify a payment (fields) and where"),
    "portal_url": (str, "The customer's payment portal link"),
    "unsubscribe_url": (str, "The link that records an opt-out"),
    "action": (
        Action,
        "Action notices: code (suspend_service, legal, write_off), label (`suspensión del servicio`) and noun, "
        "the label with its article (`la suspensión del servicio`)",
    ),
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
# The label with its article, for sentences ("procederemos con la suspensión del servicio").
ACTION_NOUNS = {
    "es": {
        "suspend_service": "la suspensión del servicio",
        "legal": "el inicio de acciones legales",
        "write_off": "el cierre de la cuenta corriente",
        "call": "un contacto telefónico",
    },
    "en": {
        "suspend_service": "the suspension of your service",
        "legal": "legal action",
        "write_off": "the closure of your credit account",
        "call": "a phone call",
    },
    "pt": {
        "suspend_service": "a suspensão do serviço",
        "legal": "o início de ações judiciais",
        "write_off": "o encerramento da conta corrente",
        "call": "um contato telefônico",
    },
}
DAYS_OVERDUE = {
    "es": ("día de atraso", "días de atraso"),
    "en": ("day overdue", "days overdue"),
    "pt": ("dia de atraso", "dias de atraso"),
}
# Why a paused invoice is not asked for: (with its date, without it).
STATUS_TEXTS = {
    "es": {
        "promise_to_pay": ("promesa de pago para el {date}", "promesa de pago"),
        "payment_reported": ("pago informado el {date}", "pago informado"),
        "dispute": ("en disputa", "en disputa"),
    },
    "en": {
        "promise_to_pay": ("payment promised for {date}", "payment promised"),
        "payment_reported": ("payment reported on {date}", "payment reported"),
        "dispute": ("in dispute", "in dispute"),
    },
    "pt": {
        "promise_to_pay": ("promessa de pagamento para {date}", "promessa de pagamento"),
        "payment_reported": ("pagamento informado em {date}", "pagamento informado"),
        "dispute": ("em disputa", "em disputa"),
    },
}
PAUSED_STATUSES = frozenset({"promise_to_pay", "payment_reported", "dispute"})


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
    return join_words([m.text for m in amounts], language)


def join_words(texts: list[str], language: str) -> str:
    """``A, B y C`` (``and`` / ``e``)."""
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + AND.get(language, ", ") + texts[-1]


def days_overdue_text(days: int, language: str, country: str | None = None) -> str:
    return words(language, country).count(days, DAYS_OVERDUE[language])


@dataclass
class TenantView:
    """What a template needs of the tenant: the gateway's facts and its messaging profile."""

    name: str
    country: str | None = None
    timezone: str | None = None
    language: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    test_clock: datetime | None = None
    # The tenant's part of the context per language, built once for a whole batch of messages.
    parts: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    def context_parts(self, language: str) -> dict[str, Any]:
        known = self.parts.get(language)
        if known is None:
            known = self.parts[language] = _tenant_parts(self, language)
        return known

    @property
    def clock(self) -> TenantClock:
        """The tenant's clock (issue 15): its test clock when it is a sandbox with one, else the wall clock."""
        return TenantClock(self.timezone, self.test_clock)


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
    if communication.kind is not CommunicationKind.OVERDUE:
        return 1
    return tone_by_age(oldest_days(communication))


def oldest_days(communication: Communication) -> int:
    """The oldest overdue invoice asked for (paused ones do not age the tone)."""
    if communication.oldest_days_overdue is not None:
        return max(0, communication.oldest_days_overdue)
    return max([0, *(i.days_overdue for i in communication.invoices if _demanded(i))])


def _demanded(line: InvoiceLine) -> bool:
    return line.demanded and line.status.value not in PAUSED_STATUSES


def _net(lines: list[InvoiceLine], credits: dict[str, Decimal]) -> dict[str, Decimal]:
    """Open amounts per currency minus the credits of that currency, never below zero."""
    sums = totals_by_currency((i.currency, i.open_amount) for i in lines)
    return {currency: max(Decimal(0), amount - credits.get(currency, Decimal(0))) for currency, amount in sums.items()}


def build_context(
    communication: Communication,
    tenant: TenantView,
    *,
    language: str,
    today: date,
    unsubscribe_url: str | None = None,
) -> dict[str, Any]:
    """The values of every documented tag for one communication.

    A dunning communication carries the customer's whole position (issue 12): its totals are what is asked for
    now. A communication without it (an older producer, no invoice marked ``triggered``) reads as before: every
    invoice caused the message and the totals, when not given, sum every invoice."""
    country = (communication.customer.country if communication.customer else None) or tenant.country
    fmt = formatter(language, country)
    profile = tenant.profile or {}
    lines = sorted(communication.invoices, key=lambda i: (i.due_date, i.number))
    invoices = [_invoice(line, fmt, language) for line in lines]
    overdue = [i for i in invoices if i.demanded and i.overdue]
    upcoming = [i for i in invoices if i.demanded and not i.overdue]
    paused = [i for i in invoices if i.paused]
    positioned = any(line.triggered for line in lines)
    triggered_lines = [line for line in lines if line.triggered] if positioned else lines
    triggered = [i for i in invoices if i.triggered] if positioned else invoices
    credit_sums = totals_by_currency((c.currency, c.amount) for c in communication.credits)
    demanded_lines = [line for line in lines if _demanded(line)]

    def money(pairs: dict[str, Decimal]) -> list[Money]:
        return [fmt.money(amount, currency) for currency, amount in sorted(pairs.items())]

    if communication.totals or positioned:
        totals = [fmt.money(t.amount, t.currency) for t in communication.totals]
    else:
        totals = money(totals_by_currency((i.currency, i.open_amount) for i in lines))
    if communication.open_totals:
        open_totals = [fmt.money(t.amount, t.currency) for t in communication.open_totals]
    else:
        open_totals = money(_net(demanded_lines, credit_sums))
    triggered_totals = money(totals_by_currency((i.currency, i.open_amount) for i in triggered_lines))
    credits = money(credit_sums)
    total = join_amounts(totals, language)
    days = oldest_days(communication)
    oldest_overdue = next((line for line in demanded_lines if line.days_overdue > 0), None)
    nearest = min((line.due_date for line in triggered_lines), default=None)
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
        code = communication.action
        label = ACTION_LABELS[language].get(code, code.replace("_", " "))
        action = Action(code, label, ACTION_NOUNS[language].get(code, label))
    data = communication.data or {}
    portal = data.get("portal_url") or _portal_url(profile.get("portal_url"), communication)
    due = fmt.date(nearest) if nearest else None
    name = customer.name or communication.recipient_name or ""
    overdue_count = communication.overdue_count if communication.overdue_count is not None else len(overdue)
    return {
        **parts,
        "customer": customer,
        "recipient_name": communication.recipient_name or name,
        "invoices": invoices,
        "overdue_invoices": overdue,
        "upcoming_invoices": upcoming,
        "paused_invoices": paused,
        "triggered_invoices": triggered,
        "invoice_count": len(invoices),
        "overdue_count": overdue_count,
        "upcoming_count": len(upcoming),
        "paused_count": len(paused),
        "triggered_count": len(triggered),
        "triggered_numbers": join_words([i.number for i in triggered], language),
        "paused_text": join_words([f"{i.number} ({i.status_text})" for i in paused], language),
        "totals": totals,
        "total": total,
        "open_totals": open_totals,
        "open_total": join_amounts(open_totals, language),
        "triggered_totals": triggered_totals,
        "triggered_total": join_amounts(triggered_totals, language),
        "credits": credits,
        "credit_total": join_amounts(credits, language),
        "oldest_days_overdue": days,
        "days_overdue_text": days_overdue_text(days, language, country),
        "due_date": due,
        "days_to_due": (nearest - today).days if nearest else None,
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


def _invoice(line: InvoiceLine, fmt: Formatter, language: str) -> Invoice:
    status = line.status.value
    paused = status in PAUSED_STATUSES or not line.demanded
    promised = fmt.date(line.promised_date) if line.promised_date else None
    reported = fmt.date(line.reported_date) if line.reported_date else None
    status_text = ""
    if status in PAUSED_STATUSES:
        with_date, without = STATUS_TEXTS[language][status]
        when = promised if status == "promise_to_pay" else reported if status == "payment_reported" else None
        status_text = with_date.format(date=when) if when else without
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
        status=status,
        document_url=line.document_url,
        triggered=line.triggered,
        demanded=not paused,
        paused=paused,
        promised_date=promised,
        reported_date=reported,
        status_text=status_text,
    )


def attributes(kind: Any) -> dict[str, Any] | None:
    """The attributes a template may read on a value of ``kind`` (None: anything)."""
    if kind is Any or not is_dataclass(kind):
        return None
    return {f.name: f.type for f in fields(kind)}


def sample_communication(
    today: date, kind: CommunicationKind = CommunicationKind.OVERDUE, language: str = "es", channel: str = "email"
) -> Communication:
    """The data a preview or a template check renders with: seed 004's model email (2 overdue invoices asked for,
    US$ 123.427,72, 84 days), the second one having reached the step, plus the rest of the position (issue 12): an
    invoice under a payment promise (listed, not asked for) and one not yet due; an advisor and supervisor with
    WhatsApp (seed 002). Before the due date (new invoice, pre-due) the two invoices are not yet due. Its dates count
    from ``today``: the tenant's day (its clock), so a preview on a test clock shows that calendar's dates."""
    day = date.fromordinal
    pre_due = kind in (CommunicationKind.PRE_DUE, CommunicationKind.NEW_INVOICE)
    first_days, second_days = (-5, -20) if pre_due else (84, 31)

    def line(number: str, days: int, amount: str, open_amount: str, **extra: Any) -> dict[str, Any]:
        return {
            "invoice_id": uuid.UUID(int=len(number) * 100 + int(number[-4:])),
            "number": number,
            "currency": "USD",
            "amount": amount,
            "open_amount": open_amount,
            "issue_date": day(today.toordinal() - days - 30),
            "due_date": day(today.toordinal() - days),
            "days_overdue": days,
            **extra,
        }

    invoices = [
        line(
            "A-3212",
            first_days,
            "100000.00",
            "100000.00",
            document_url="https://erp.example/invoices/A-3212.pdf",
            triggered=pre_due,
        ),
        line("A-3307", second_days, "30000.00", "23427.72", triggered=not pre_due),
    ]
    if not pre_due:
        promised = day(today.toordinal() + 7)
        invoices.append(
            line("A-3350", 20, "5000.00", "5000.00", status="promise_to_pay", demanded=False, promised_date=promised)
        )
        invoices.append(line("A-3400", -10, "8000.00", "8000.00"))
    totals = [] if pre_due else [{"currency": "USD", "amount": "123427.72"}]
    open_total = "123427.72" if pre_due else "131427.72"
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
            "invoices": sorted(invoices, key=lambda i: i["due_date"]),
            "totals": totals,
            "open_totals": [{"currency": "USD", "amount": open_total}],
            "overdue_count": 0 if pre_due else 2,
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
