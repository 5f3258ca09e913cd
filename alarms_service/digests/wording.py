"""What a digest says: its title, summary, one line per row and the action asked, in the tenant's language
(``digests/texts.py`` holds the words). Pure: no I/O."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from alarms_service.digests.rules import Audience
from alarms_service.digests.texts import TEXTS
from alarms_service.tenant_settings.rules import DEFAULTS, MANAGER_ALARMS, Alarm, AlarmSchedule
from shared.words import words as shared_words

LANGUAGES = ("es", "en", "pt")


@dataclass(frozen=True)
class DigestText:
    """``data`` of the ``alarm_digest`` communication: messaging's templates print exactly these."""

    title: str
    summary: str
    lines: tuple[str, ...]
    action: str

    def data(self) -> dict[str, Any]:
        return {"title": self.title, "summary": self.summary, "lines": list(self.lines), "action": self.action}


class Words:
    """The texts of one language, with money, dates and plurals written by ``shared.words`` (the tenant's country
    when babel knows ``<language>_<country>``): an amount reads in a digest as in a reminder (issue 12, point 5)."""

    def __init__(self, language: str | None, country: str | None) -> None:
        self.language = language if language in LANGUAGES else "es"
        self.t = TEXTS[self.language]
        self.words = shared_words(self.language, country)
        self.locale = self.words.locale

    def count(self, n: int, forms: tuple[str, str]) -> str:
        return self.words.count(n, forms)

    def date(self, value: date | str) -> str:
        return self.words.date(value, "medium")

    def amount(self, amount: Decimal | str, currency: str) -> str:
        return self.words.money(amount, currency)

    def money(self, totals: Mapping[str, Any] | None) -> str:
        """Amounts per currency, never added across currencies."""
        return self.words.amounts({currency: str(amount) for currency, amount in (totals or {}).items()}, "; ")

    def owed(self, totals: Mapping[str, Any] | None) -> str:
        amounts = self.money(totals)
        return self.t["owed"].format(amounts=amounts) if amounts else ""


@lru_cache(maxsize=128)
def wording(language: str | None, country: str | None) -> Words:
    return Words(language, country)


def line(alarm: Alarm, audience: Audience, row: Mapping[str, Any], words: Words) -> str:
    """One line of a digest: a customer (actions, broken promises) or an invoice (reported payments, disputes);
    issue 18's alarms: ``manager_line``."""
    t = words.t
    template: str = t["line"][(alarm.value, audience.value)]
    customer = row.get("customer_name") or t["unknown_customer"]
    if alarm in MANAGER_ALARMS:
        return manager_line(alarm, template, row, words)
    if alarm is Alarm.ACTIONS:
        owed_count = int(row.get("invoices_owed") or 0)
        return template.format(
            customer=customer,
            action=t["actions"].get(row["action"], row["action"]),
            date=words.date(row["created_on"]),
            days=words.count(int(row["days_open"]), t["days"]),
            invoices=f", {words.count(owed_count, t['invoices'])}" if owed_count else "",
            owed=words.owed(row.get("open_totals")),
            notice=t["notice"].get(row.get("notice_state") or "", ""),
        )
    if alarm is Alarm.BROKEN_PROMISES:
        promises = row["promises"]
        details = "; ".join(
            t["promise"].format(number=p.get("number") or "?", date=words.date(p["promised_date"]))
            for p in promises[:3]
        )
        if len(promises) > 3:
            details += "; …"
        return template.format(
            customer=customer,
            promises=words.count(len(promises), t["rows"]["broken_promises"]),
            details=details,
            owed=words.owed(row.get("open_totals")),
        )
    if alarm is Alarm.PLANS_BROKEN:
        currency = row["currency"]
        return template.format(
            customer=customer,
            date=words.date(row["broken_on"]),
            installments=words.count(int(row["unpaid_installments"]), t["installments"]),
            total=row["installments"],
            reason=t["plan_reason"].format(reason=row["reason"]) if row.get("reason") else "",
            paid=words.amount(row["paid_amount"], currency),
            owed=words.owed({currency: row["unpaid_amount"]}),
        )
    money = {row["currency"]: row["open_amount"]}
    if alarm is Alarm.PAYMENTS_REPORTED:
        return template.format(
            customer=customer,
            number=row["number"],
            date=words.date(row["reported_date"]),
            days=words.count(int(row["days_reported"]), t["days"]),
            owed=words.owed(money),
        )
    return template.format(
        customer=customer,
        number=row["number"],
        area=row.get("area_name") or t["no_area"],
        date=words.date(row["disputed_since"]),
        days=words.count(int(row["days_in_dispute"]), t["days"]),
        owed=words.owed(money),
    )


def manager_line(alarm: Alarm, template: str, row: Mapping[str, Any], words: Words) -> str:
    """One line of issue 18's digests: a task, a customer, a collector or a customer with its warning signs."""
    t = words.t
    customer = row.get("customer_name") or t["unknown_customer"]
    collector = row.get("collector_name") or (t["unknown_collector"] if row.get("collector_id") else t["no_collector"])
    if alarm is Alarm.TASKS_OVERDUE:
        named = t["task_customer"].format(customer=customer) if row.get("customer_id") else ""
        days = words.count(int(row["days_overdue"]), t["days"])
        return template.format(title=row["title"], customer=named, date=words.date(row["due_date"]), days=days)
    if alarm is Alarm.UNASSIGNED_CUSTOMERS:
        return template.format(
            customer=customer,
            invoices=words.count(int(row["invoices"]), t["overdue_invoices"]),
            date=words.date(row["oldest_due_date"]),
            days=words.count(int(row["days_overdue"]), t["days"]),
            owed=words.owed(row.get("overdue_totals")),
        )
    if alarm is Alarm.WORKLOAD:
        mean = words.money(row.get("team_mean_totals"))
        return template.format(
            collector=collector,
            customers=words.count(int(row["overdue_customers"]), t["customers"]),
            mean=row["team_mean_customers"],
            owed=words.owed(row.get("overdue_totals")) + (t["team_owed"].format(amounts=mean) if mean else ""),
            percent=row["percent_of_mean"],
        )
    if alarm is Alarm.OVERDUE_THRESHOLD:
        return template.format(
            customer=customer,
            collector=collector,
            amount=words.amount(row["overdue_amount"], row["currency"]),
            threshold=words.amount(row["threshold"], row["currency"]),
            invoices=words.count(int(row["invoices"]), t["invoices"]),
            date=words.date(row["oldest_due_date"]),
        )
    if alarm is Alarm.CONTACT_RATE:
        return template.format(
            collector=collector,
            contacts=row["contacts"],
            planned=row["planned"],
            percent=row["percent_of_plan"],
            since=words.date(row["week_from"]),
            until=words.date(row["week_to"]),
        )
    level = row.get("risk_level")
    risk = t["risk"].format(level=t["risk_levels"].get(level, level)) if level else ""
    signs = "; ".join(sign_words(sign, words) for sign in row.get("signs") or [])
    return template.format(customer=customer, risk=risk, signs=signs)


def sign_words(sign: Mapping[str, Any], words: Words) -> str:
    """A warning sign in words, with its evidence (seed 001); amounts in the evidence's currency. A sign whose
    evidence lacks what the words name is said by its label."""
    t = words.t
    kind = str(sign.get("sign"))
    evidence = dict(sign.get("evidence") or {})
    currency = evidence.get("currency")
    if currency:
        for name, value in evidence.items():
            if name.startswith("overdue_") and value is not None:
                evidence[name] = words.amount(str(value), currency)
    template = t["signs"].get(kind)
    try:
        return str(template.format(**evidence)) if template else kind
    except (KeyError, IndexError, ValueError):
        return str(t["labels"].get(kind, kind))


def compose(
    alarm: Alarm,
    audience: Audience,
    rows: Sequence[Mapping[str, Any]],
    *,
    row_count: int,
    customers: int,
    totals: Mapping[str, Any],
    areas: Sequence[str] = (),
    schedule: AlarmSchedule | None = None,
    language: str | None = "es",
    country: str | None = None,
    max_lines: int = 100,
) -> DigestText:
    """Title, summary, one line per row (the first ``max_lines`` of the sorted rows; the last line says how many
    more there are) and the action asked. ``rows`` may hold only the first ``max_lines`` rows: the counts and
    totals come from the whole group."""
    words = wording(language, country)
    t = words.t
    key = (alarm.value, audience.value)
    schedule = schedule or DEFAULTS[alarm]
    lines = [line(alarm, audience, row, words) for row in rows[:max_lines]]
    if row_count > len(lines):
        lines.append(t["more"].format(count=row_count - len(lines), alarm=alarm.value))
    summary = t["summary"][key]
    if isinstance(summary, tuple):
        summary = words.words.plural(row_count, summary)
    summary = summary.format(
        customers=words.count(customers, t["customers"]),
        rows=words.count(row_count, t["rows"][alarm.value]),
        days=words.count(schedule.threshold_days, t["days"]),
        areas=t["and"].join(areas) if areas else t["no_area"],
        owed=words.owed(totals),
        spread=schedule.spread_percent,
        planned=schedule.contacts_per_day,
    )
    return DigestText(title=t["title"][key], summary=summary, lines=tuple(lines), action=t["action"][key])
