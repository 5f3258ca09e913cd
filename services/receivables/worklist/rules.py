"""The collector's worklist as pure decisions (issue 18): which customer is on today's list, its score and the
reasons that make it, the objective of the contact and the channel to use. No I/O: the repository gathers each
customer's facts (``Facts``) with set-based SQL and computes the same score in SQL (``score_sql``) to rank and page;
``tests/receivables/test_worklist_rules.py`` holds the two together.

Seed 004 ("Los cuatro pasos para un contacto efectivo de cobranza"): "Ante todo, ¡organízate! ... Prioriza y define
qué hacer": understand the customer (the reasons, with their evidence), "Definir Plan: convierte el entendimiento del
cliente en un objetivo claro para el contacto" (``objective``), "Escoger el canal" (``channel``).

Amounts are never added across currencies: the overdue part is computed per currency, as the share of the
collector's customers owing in that currency whose overdue amount x days is at most this customer's (a cumulative
distribution, 0 to 1), and the customer's part is its best currency's. It reads "amount x days at or above 80% of
the collector's ARS debts": meaningful in any currency, and the same in the collector's list and in a team's (the
share is per collector).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from services.receivables.customers.rules import usable_address
from shared.words import Words

CENT = Decimal("0.01")
CONTACT_DAYS_CAP = 90  # days since the last contact count up to three months (never contacted: the cap)
BROKEN_PROMISE_DAYS = 30  # a broken promise is recent for a month
PRESS_AFTER_DAYS = 90  # seed 004's "cuentas complicadas": three months overdue
CHANGE_CONDITIONS_AFTER_DAYS = 120  # past the threat: the terms change
GENERATE_ACTION_AFTER_DAYS = 30  # no longer "deudas recién vencidas"


@dataclass(frozen=True, slots=True)
class Weights:
    """The points of each reason (tenant settings, ``PATCH /v1/receivables-settings``). A reason present is worth its
    weight once, times: the overdue share (0-1), the number of warning signs, months since the last contact (up to
    three)."""

    overdue: int = 40
    broken_promise: int = 60
    promise_due: int = 25
    task_due: int = 30
    reply_waiting: int = 35
    portal_action: int = 35
    bounced_contact: int = 10
    warning_sign: int = 10
    days_since_contact: int = 10

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> "Weights":
        """The tenant's weights over the defaults; a name no longer known is ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in stored.items() if k in known})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def changed_weights(stored: Mapping[str, Any], changes: Mapping[str, int | None]) -> dict[str, int]:
    """The tenant's weights after a change: a weight given replaces the stored one, a weight given as None goes
    back to its default (it is no longer stored)."""
    kept = {k: int(v) for k, v in stored.items() if k not in changes}
    return kept | {k: v for k, v in changes.items() if v is not None}


class Objective(StrEnum):
    """Seed 004, "Los 5 objetivos típicos de un contacto de cobranza"."""

    REMIND = "remind"  # Recordar
    REMOVE_PAYMENT_BARRIERS = "remove_payment_barriers"  # Eliminar barreras de pago
    GENERATE_ACTION = "generate_action"  # Generar acciones del lado del cliente
    PRESS = "press"  # Presionar
    CHANGE_CONDITIONS = "change_conditions"  # Cambiar reglas o condiciones


class SuggestedChannel(StrEnum):
    """Seed 004, "Los canales más usados": the call, SMS, email; and WhatsApp (seed 003)."""

    CALL = "call"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class PromiseFact:
    promised_date: date
    amount: Decimal
    currency: str
    resolved_on: date | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the repository gathered about one customer on the tenant's ``today``."""

    today: date
    overdue_currency: str | None = None
    overdue_amount: Decimal | None = None
    overdue_invoices: int = 0
    overdue_oldest_days: int | None = None
    overdue_share: Decimal | None = None  # rounded to 4 places, as the SQL does
    broken_promises: int = 0
    last_broken: PromiseFact | None = None
    promises_due: int = 0
    next_promise: PromiseFact | None = None
    tasks_due: int = 0
    oldest_task_due: date | None = None
    oldest_task_title: str | None = None
    replies_waiting: int = 0
    last_reply_channel: str | None = None
    last_reply_text: str | None = None
    portal_actions: int = 0
    last_portal_action: str | None = None
    signs: tuple[str, ...] = ()
    last_contact_at: datetime | None = None
    last_contact_on: date | None = None  # on the tenant's calendar
    last_excuse: str | None = None
    contacts: tuple[Mapping[str, Any], ...] = ()
    opted_out: tuple[str, ...] = ()

    @property
    def bounced(self) -> list[Mapping[str, Any]]:
        return [c for c in self.contacts if c.get("invalid")]

    @property
    def days_since_contact(self) -> int:
        if self.last_contact_on is None:
            return CONTACT_DAYS_CAP
        return min((self.today - self.last_contact_on).days, CONTACT_DAYS_CAP)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    weight: int
    points: Decimal
    text: str
    evidence: dict[str, Any] = field(default_factory=dict)


def points(weight: int, factor: Decimal | int) -> Decimal:
    """A part's points: weight x factor to the cent, half up (as SQL's ``round(numeric, 2)`` on positives)."""
    return (Decimal(weight) * Decimal(factor)).quantize(CENT, ROUND_HALF_UP)


def money(words: Words, amount: Decimal, currency: str) -> str:
    """ "ARS 45.000,00": the currency's code, never its symbol ($ is also the US dollar), the number in the tenant's
    locale (``Words.money`` without its symbol)."""
    shown = words.money(abs(amount), currency)
    number = shown[next(i for i, ch in enumerate(shown) if ch.isdigit()) :]
    return f"{'-' if amount < 0 else ''}{currency} {number}"


def days_ago(days: int) -> str:
    return {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")


def _overdue(f: Facts, w: Weights, words: Words) -> Reason | None:
    if f.overdue_currency is None or f.overdue_amount is None or f.overdue_share is None:
        return None
    share = int((f.overdue_share * 100).to_integral_value())
    return Reason(
        "overdue",
        w.overdue,
        points(w.overdue, f.overdue_share),
        f"{money(words, f.overdue_amount, f.overdue_currency)} overdue in {f.overdue_invoices} invoice(s), the "
        f"oldest {f.overdue_oldest_days} days: amount x days at or above {share}% of the collector's "
        f"{f.overdue_currency} debts",
        {
            "currency": f.overdue_currency,
            "amount": str(f.overdue_amount),
            "invoices": f.overdue_invoices,
            "oldest_days": f.overdue_oldest_days,
            "share": str(f.overdue_share),
        },
    )


def _broken_promise(f: Facts, w: Weights, words: Words) -> Reason | None:
    p = f.last_broken
    if f.broken_promises == 0 or p is None or p.resolved_on is None:
        return None
    more = f" ({f.broken_promises} broken in {BROKEN_PROMISE_DAYS} days)" if f.broken_promises > 1 else ""
    return Reason(
        "broken_promise",
        w.broken_promise,
        points(w.broken_promise, 1),
        f"promise of {words.date(p.promised_date)} broken {days_ago((f.today - p.resolved_on).days)} "
        f"({money(words, p.amount, p.currency)}), still owed{more}",
        {
            "promised_date": p.promised_date.isoformat(),
            "broken_on": p.resolved_on.isoformat(),
            "amount": str(p.amount),
            "currency": p.currency,
            "broken_promises": f.broken_promises,
        },
    )


def _promise_due(f: Facts, w: Weights, words: Words) -> Reason | None:
    p = f.next_promise
    if f.promises_due == 0 or p is None:
        return None
    when = "today" if p.promised_date == f.today else "tomorrow"
    return Reason(
        "promise_due",
        w.promise_due,
        points(w.promise_due, 1),
        f"promise of {money(words, p.amount, p.currency)} due {when} ({words.date(p.promised_date)})",
        {"promised_date": p.promised_date.isoformat(), "amount": str(p.amount), "currency": p.currency},
    )


def _task_due(f: Facts, w: Weights, words: Words) -> Reason | None:
    if f.tasks_due == 0 or f.oldest_task_due is None:
        return None
    return Reason(
        "task_due",
        w.task_due,
        points(w.task_due, 1),
        f"{f.tasks_due} open task(s) due, the oldest \u201c{f.oldest_task_title}\u201d due "
        f"{words.date(f.oldest_task_due)}",
        {"tasks": f.tasks_due, "oldest_due": f.oldest_task_due.isoformat(), "title": f.oldest_task_title},
    )


def _since_contact(f: Facts) -> str:
    return "since the last contact" if f.last_contact_at else "and no contact yet"


def _reply_waiting(f: Facts, w: Weights, words: Words) -> Reason | None:
    if f.replies_waiting == 0:
        return None
    return Reason(
        "reply_waiting",
        w.reply_waiting,
        points(w.reply_waiting, 1),
        f"{f.replies_waiting} reply(ies) {_since_contact(f)}, the last by {f.last_reply_channel}: "
        f"\u201c{f.last_reply_text}\u201d",
        {"replies": f.replies_waiting, "channel": f.last_reply_channel, "text": f.last_reply_text},
    )


def _portal_action(f: Facts, w: Weights, words: Words) -> Reason | None:
    if f.portal_actions == 0:
        return None
    return Reason(
        "portal_action",
        w.portal_action,
        points(w.portal_action, 1),
        f"{f.portal_actions} action(s) on the customer's page {_since_contact(f)}, the last: {f.last_portal_action}",
        {"actions": f.portal_actions, "last": f.last_portal_action},
    )


def _bounced(f: Facts, w: Weights, words: Words) -> Reason | None:
    bounced = f.bounced
    if not bounced:
        return None
    listed = ", ".join(f"{c.get('channel')} {c.get('address')}" for c in bounced)
    return Reason(
        "bounced_contact",
        w.bounced_contact,
        points(w.bounced_contact, 1),
        f"contact(s) found invalid: {listed}",
        {"contacts": [{"channel": c.get("channel"), "address": c.get("address")} for c in bounced]},
    )


def _signs(f: Facts, w: Weights, words: Words) -> Reason | None:
    if not f.signs:
        return None
    return Reason(
        "warning_signs",
        w.warning_sign,
        points(w.warning_sign, len(f.signs)),
        f"{len(f.signs)} warning sign(s): {', '.join(s.replace('_', ' ') for s in f.signs)}",
        {"signs": list(f.signs)},
    )


def _days_since_contact(f: Facts, w: Weights, words: Words) -> Reason | None:
    days = f.days_since_contact
    if days == 0:
        return None
    if f.last_contact_on is None:
        said = f"never contacted (counted as {CONTACT_DAYS_CAP} days)"
    else:
        said = f"last contacted {days_ago((f.today - f.last_contact_on).days)} ({words.date(f.last_contact_on)})"
    return Reason(
        "days_since_contact",
        w.days_since_contact,
        points(w.days_since_contact, Decimal(days) / 30),
        said,
        {"days": days, "last_contact_on": f.last_contact_on.isoformat() if f.last_contact_on else None},
    )


PARTS: tuple[Callable[[Facts, Weights, Words], Reason | None], ...] = (
    _overdue,
    _broken_promise,
    _promise_due,
    _task_due,
    _reply_waiting,
    _portal_action,
    _bounced,
    _signs,
    _days_since_contact,
)


def on_list(f: Facts) -> bool:
    """A customer is on today's list when something asks for a contact: overdue money it owes in status normal, a
    recent broken promise not followed up yet, a promise due today or tomorrow, a task due, a reply or a portal
    action waiting. Bounced contacts, warning signs and the days since the last contact only add to the score. (A
    contact recorded today takes the customer off: the repository leaves it out.)"""
    return bool(
        f.overdue_amount or f.broken_promises or f.promises_due or f.tasks_due or f.replies_waiting or f.portal_actions
    )


def reasons(f: Facts, w: Weights, words: Words) -> list[Reason]:
    """Every reason present, most points first (then in the order of ``PARTS``)."""
    found = [r for part in PARTS if (r := part(f, w, words)) is not None]
    return sorted(found, key=lambda r: -r.points)


def score(found: Iterable[Reason]) -> Decimal:
    return sum((r.points for r in found), Decimal("0.00"))


def score_sql(w: Weights) -> str:
    """``score`` as SQL over the repository's feature columns (the same formulas and rounding)."""
    share = f"round({w.overdue} * coalesce(overdue_share, 0), 2)"
    once = [
        f"CASE WHEN {cond} THEN {weight} ELSE 0 END"
        for weight, cond in (
            (w.broken_promise, "broken_promises > 0"),
            (w.promise_due, "promises_due > 0"),
            (w.task_due, "tasks_due > 0"),
            (w.reply_waiting, "replies_waiting > 0"),
            (w.portal_action, "portal_actions > 0"),
            (w.bounced_contact, "bounced"),
        )
    ]
    signs = f"{w.warning_sign} * cardinality(signs)"
    days = f"least(coalesce(CAST(:today AS date) - last_contact_on, {CONTACT_DAYS_CAP}), {CONTACT_DAYS_CAP})"
    contact = f"round({w.days_since_contact} * CAST({days} AS numeric) / 30, 2)"
    return "(" + " + ".join([share, *once, signs, contact]) + ")"


ON_LIST_SQL = (
    "(overdue_amount > 0 OR broken_promises > 0 OR promises_due > 0 OR tasks_due > 0 OR replies_waiting > 0 "
    "OR portal_actions > 0)"
)


def objective(f: Facts) -> tuple[Objective, str]:
    """Seed 004's five objectives, each "cuándo escogerlo":

    - change conditions: "Luego de hacer efectivo el cambio de las reglas" (past 120 days overdue), or the customer
      said it cannot pay ("Incapacidad de pago... Una extensión en los plazos de pago es solicitada": renegotiate);
    - press: "Cuentas complicadas donde el cliente no quiera pagar y se sospeche de Fraude" (fraud's hints are
      "Número de contacto fuera de servicio, datos falsos, incumplimiento de promesas"): the fraud excuse, two broken
      promises, a broken promise with a bounced contact, or 90 days overdue;
    - remove payment barriers: "Cuando la excusa del cliente es que falta algo del lado del proveedor"
      (dissatisfaction, unawareness of use);
    - generate action: "A partir de la primera excusa" (any excuse, a broken promise, past "deudas recién vencidas");
    - remind: "Cobranza preventiva - Clientes nuevos - Deudas recién vencidas" (and a promise falling due)."""
    oldest = f.overdue_oldest_days or 0
    if f.last_excuse == "inability_to_pay":
        return Objective.CHANGE_CONDITIONS, "the customer said it cannot pay: offer new terms (e.g. instalments)"
    if oldest > CHANGE_CONDITIONS_AFTER_DAYS:
        return Objective.CHANGE_CONDITIONS, f"over {CHANGE_CONDITIONS_AFTER_DAYS} days overdue: the terms change"
    if f.last_excuse == "fraud" or f.broken_promises >= 2 or (f.broken_promises and f.bounced):
        return Objective.PRESS, "signs of a customer who will not pay (fraud, broken promises, bad contacts)"
    if oldest > PRESS_AFTER_DAYS:
        return Objective.PRESS, f"over {PRESS_AFTER_DAYS} days overdue"
    if f.last_excuse in ("dissatisfaction", "unawareness_of_use"):
        return Objective.REMOVE_PAYMENT_BARRIERS, f"the last excuse was {f.last_excuse.replace('_', ' ')}"
    if f.last_excuse is not None or f.broken_promises or oldest > GENERATE_ACTION_AFTER_DAYS:
        return Objective.GENERATE_ACTION, "the customer has given an excuse or let the debt age: get a commitment"
    return Objective.REMIND, "recently due or a promise falling due: a reminder"


# Seed 004: the call is "la forma más efectiva para generar acciones de pago"; SMS (and WhatsApp) an "excelente
# recordatorio de pago"; email for documents, corporate customers and "personas difíciles de ubicar".
PREFERENCE: dict[Objective, tuple[SuggestedChannel, ...]] = {
    Objective.REMIND: (SuggestedChannel.WHATSAPP, SuggestedChannel.SMS, SuggestedChannel.EMAIL, SuggestedChannel.CALL),
    Objective.REMOVE_PAYMENT_BARRIERS: (
        SuggestedChannel.EMAIL,
        SuggestedChannel.WHATSAPP,
        SuggestedChannel.CALL,
        SuggestedChannel.SMS,
    ),
    Objective.GENERATE_ACTION: (
        SuggestedChannel.CALL,
        SuggestedChannel.WHATSAPP,
        SuggestedChannel.EMAIL,
        SuggestedChannel.SMS,
    ),
    Objective.PRESS: (SuggestedChannel.CALL, SuggestedChannel.EMAIL, SuggestedChannel.WHATSAPP, SuggestedChannel.SMS),
    Objective.CHANGE_CONDITIONS: (
        SuggestedChannel.CALL,
        SuggestedChannel.EMAIL,
        SuggestedChannel.WHATSAPP,
        SuggestedChannel.SMS,
    ),
}


def address_for(f: Facts, channel: SuggestedChannel) -> str | None:
    """A call needs a valid phone (an SMS or WhatsApp number: an opt-out of messages does not forbid a person's
    call); a message needs a valid address on its channel, the channel not opted out."""
    if channel is SuggestedChannel.CALL:
        return usable_address(f.contacts, (), "sms") or usable_address(f.contacts, (), "whatsapp")
    return usable_address(f.contacts, f.opted_out, channel.value)


def channel(f: Facts, goal: Objective) -> tuple[SuggestedChannel | None, str | None, str]:
    """The channel, its address and why: the one the customer just wrote on when a reply waits (answer where they
    speak), else the objective's preference among the channels with a valid contact."""
    if f.replies_waiting and f.last_reply_channel in {c.value for c in SuggestedChannel}:
        replied = SuggestedChannel(f.last_reply_channel)
        if address := address_for(f, replied):
            return replied, address, f"the customer wrote by {replied.value}: answer there"
    for option in PREFERENCE[goal]:
        if address := address_for(f, option):
            return option, address, f"{option.value} suits '{goal.value.replace('_', ' ')}' and has a valid contact"
    return None, None, "no valid contact on any channel: find one (seed 004: a third party, the advisor)"
