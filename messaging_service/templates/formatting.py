"""Money, dates, counted nouns and the fixed phrases of the templates (action labels, paused statuses) in the
customer's language, localized by babel (``shared.words``)."""

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache

from messaging_service.templates.tags import LANGUAGES, Contact, LocalDate, Money
from shared.contracts.common import Person
from shared.words import AND, whatsapp_link, words

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


def contact_of(person: Person | None) -> Contact | None:
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
