"""The documented template tags: the small frozen objects a template sees and the catalog of every tag (served by
the API, read by the validation of saved templates and by the renderer's sandbox: one definition for all three)."""

from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal
from typing import Any

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
    logo_url: str | None = None


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
class Charge:
    """An open late charge (issue 19): a fee or interest charged on an invoice, a document of its own (its amount
    is not in the invoice's nor in the totals)."""

    invoice_number: str
    kind: str
    description: str
    currency: str
    amount: Money
    charged_on: LocalDate


@dataclass(frozen=True, slots=True)
class Action:
    """An action notice's action: ``label`` for titles ("suspensión del servicio"), ``noun`` with its article
    for sentences ("hemos dispuesto la suspensión del servicio")."""

    code: str
    label: str
    noun: str = ""


# tag -> (type, description). A list type is written [T]; ``Any`` accepts every attribute below it.
TAGS: dict[str, tuple[Any, str]] = {
    "company": (
        Company,
        "The company that collects: name, legal_name, tax_id, email, phone, website, address, logo_url (https)",
    ),
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
    "charges": (
        [Charge],
        "The customer's open late charges (issue 19), oldest first: invoice_number, kind (fixed, percentage, "
        "interest), description, currency, amount, charged_on. Documents of their own: not in the invoices' open "
        "amounts nor in `totals`; empty when there are none",
    ),
    "charge_totals": ([Money], "The open late charges' total per currency (never added across currencies)"),
    "charge_total": (str, "Those totals in one phrase: `$ 1.573,97 y US$ 12,50` (empty when there are none)"),
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
    "portal_link": (
        str,
        "The link to the customer's own page (issue 17: the position, the statement, pay, report a payment, promise "
        "a date...): a new one in every message to a customer while the tenant's portal is on, else None. Write "
        "`portal_link or portal_url` to fall back to the tenant's own portal",
    ),
    "portal_url": (str, "The tenant's own payment portal (its profile's `portal_url`), for tenants that have one"),
    "unsubscribe_url": (str, "The link that records an opt-out"),
    "action": (
        Action,
        "Action notices: code (suspend_service, legal, write_off), label (`suspensión del servicio`) and noun, "
        "the label with its article (`la suspensión del servicio`)",
    ),
    "statement_attached": (bool, "Whether the account statement is attached"),
    "kind": (str, "new_invoice, pre_due, overdue, action_notice, unreachable, alarm_digest, campaign, confirmation"),
    "tone": (int, "1 friendly, 2 concerned, 3 firm (seed 004)"),
    "channel": (str, "email, sms, whatsapp"),
    "language": (str, "es, en, pt"),
    "locale": (str, "The locale used to format money and dates (es_AR, en_US...)"),
    "today": (LocalDate, "The date the message is rendered"),
    "data": (
        Any,
        "Extra data of the command (digests, campaigns): any key. A confirmation (of what the customer did on the "
        "portal) reads `data.action` (promise, payment_reported, dispute, call_requested, plan_requested) and, "
        "formatted, `data.promised_date`, `data.amount`, `data.paid_on`, `data.reference`, `data.invoice_numbers`, "
        "`data.call_at`, `data.phone`, `data.installments`, `data.reason`, `data.reference_code`",
    ),
    # Seed 003's variables, for templates written the Debitia way.
    "Name": (str, "Alias (seed 003): the customer's name"),
    "ActualDebit": (str, "Alias (seed 003): the amount owed (`total`)"),
    "DueDays": (int, "Alias (seed 003): days overdue of the oldest invoice"),
    "DueDate": (LocalDate, "Alias (seed 003): due date of the oldest overdue invoice"),
}


def attributes(kind: Any) -> dict[str, Any] | None:
    """The attributes a template may read on a value of ``kind`` (None: anything)."""
    if kind is Any or not is_dataclass(kind):
        return None
    return {f.name: f.type for f in fields(kind)}
