"""How a communication becomes the values its template sees: the tenant's view, the position (overdue, paused,
upcoming, credits), the action and the aliases of seed 003; every value is one of ``templates.tags``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from messaging_service.templates.formatting import (
    ACTION_LABELS,
    ACTION_NOUNS,
    PAUSED_STATUSES,
    STATUS_TEXTS,
    Formatter,
    contact_of,
    days_overdue_text,
    formatter,
    join_amounts,
    join_words,
)
from messaging_service.templates.tags import (
    Action,
    Charge,
    Collections,
    Company,
    Customer,
    Invoice,
    Money,
    PaymentNotification,
)
from shared.clock import KeepsTenantClock
from shared.contracts.common import ChargeLine, InvoiceLine
from shared.contracts.messaging import Communication, CommunicationKind, tone_by_age
from shared.money import totals_by_currency
from shared.statement import NOTIFY_FIELDS  # what to send to notify a payment (seed 004): statements say it too
from shared.words import whatsapp_link


@dataclass
class TenantView(KeepsTenantClock):
    """What a template needs of the tenant: the gateway's facts and its messaging profile."""

    name: str
    country: str | None = None
    timezone: str | None = None
    language: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    test_clock: datetime | None = None
    # Messages carry a link to the customer's page (the portal's settings, issue 17).
    portal_enabled: bool = True
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
        logo_url=company_profile.get("logo_url"),
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
    portal_link: str | None = None,
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
    charges = [_charge(line, fmt) for line in sorted(communication.charges, key=_charge_order)]
    charge_totals = money(totals_by_currency((c.currency, c.amount) for c in communication.charges))
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
        "charges": charges,
        "charge_totals": charge_totals,
        "charge_total": join_amounts(charge_totals, language),
        "oldest_days_overdue": days,
        "days_overdue_text": days_overdue_text(days, language, country),
        "due_date": due,
        "days_to_due": (nearest - today).days if nearest else None,
        "advisor": contact_of(communication.advisor),
        "supervisor": contact_of(communication.supervisor),
        "collector": contact_of(communication.collector),
        "portal_url": portal,
        "portal_link": portal_link,
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


def _charge_order(line: ChargeLine) -> tuple[date, str]:
    """Oldest first, by invoice; a stable sort: the charges of one invoice and day keep the payload's order
    (dunning's, by key), as the attached statement lists them (``delivery/statement.py``)."""
    return line.charged_on, line.invoice_number


def _charge(line: ChargeLine, fmt: Formatter) -> Charge:
    return Charge(
        invoice_number=line.invoice_number,
        kind=line.kind.value,
        description=line.description,
        currency=line.currency,
        amount=fmt.money(line.amount, line.currency),
        charged_on=fmt.date(line.charged_on),
    )


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
