"""One way to write money, numbers, dates and counted nouns, for every service (issue 12, point 5).

Messages, alarm digests and statements all call ``words(language, country)``, so one amount reads the same in a
reminder, a digest and a statement. The data is babel's (CLDR): the locale is ``<language>_<COUNTRY>`` when babel
knows it, else the language, else Spanish.

Money follows seed 004's model email, ``US$ 123.427,72``: the pattern ``¤ #,##0.00`` with the currency's own
decimals and a plain space after the symbol (a no-break space would turn an SMS into UCS-2); English keeps its
``$123,427.72`` unless the symbol is letters (``ARS 1,000.00``). A run writes a few amounts per message for tens
of thousands of messages: each currency's symbol and each date are looked up once per locale, the pattern applied
directly (the tests check it against ``babel.numbers.format_currency`` with the same pattern).

Plurals follow babel's plural rules (``Locale.plural_form``): "1 factura", "2 facturas", and Portuguese "0 fatura"
(CLDR puts 0 in ``one`` for pt). Forms are given as (one, other); a category with no form of its own (``many``)
falls back to ``other``.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

import babel.localedata
from babel import Locale
from babel.dates import format_date
from babel.numbers import (
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

# How a list of amounts (per currency) is joined: "US$ 1,00 y $ 2,00".
AND = {"es": " y ", "en": " and ", "pt": " e "}

Forms = tuple[str, str] | Mapping[str, str]


class Words:
    """Money, numbers, dates and plurals in one locale."""

    def __init__(self, language: str | None, country: str | None = None) -> None:
        language = (language or "es")[:2].lower()
        if not babel.localedata.exists(language):
            language = "es"
        name = f"{language}_{country.upper()}" if country else language
        self.locale = Locale.parse(name if babel.localedata.exists(name) else language)
        self.locale_name = str(self.locale)
        self.language = language
        # The locale's short numeric order with two-digit day and month and a four-digit year: 31/08/2026.
        pattern = self.locale.date_formats["short"].pattern
        pattern = re.sub(r"(?<!d)d(?!d)", "dd", re.sub(r"(?<!M)M(?!M)", "MM", pattern))
        self._date_pattern = pattern if "yyyy" in pattern else pattern.replace("yy", "yyyy")
        self._separators = str.maketrans({",": get_group_symbol(self.locale), ".": get_decimal_symbol(self.locale)})
        self._currencies: dict[str, tuple[str, int, Decimal]] = {}
        self._dates: dict[tuple[date, str], str] = {}
        self._plurals: dict[int, str] = {}

    # --- money and numbers -----------------------------------------------------------------------------------

    def pattern(self, currency: str) -> str:
        """The babel pattern ``money`` applies: ``¤ #,##0.00``, or ``¤#,##0.00`` in English with a sign symbol."""
        symbol = get_currency_symbol(currency, locale=self.locale)
        return "¤ #,##0.00" if self.language != "en" or symbol[-1:].isalpha() else "¤#,##0.00"

    def money(self, amount: Decimal | int | float | str, currency: str) -> str:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        known = self._currencies.get(currency)
        if known is None:
            symbol = get_currency_symbol(currency, locale=self.locale)
            digits = get_currency_precision(currency)
            prefix = symbol + (" " if self.pattern(currency).startswith("¤ ") else "")
            known = self._currencies[currency] = (prefix, digits, Decimal(1).scaleb(-digits))
        prefix, digits, quantum = known
        rounded = value.quantize(quantum, ROUND_HALF_EVEN)
        number = f"{abs(rounded):,.{digits}f}".translate(self._separators)
        return f"{'-' if rounded.is_signed() else ''}{prefix}{number}"

    def amounts(self, totals: Mapping[str, Decimal | str] | Iterable[tuple[str, Decimal | str]], sep: str = "") -> str:
        """Amounts per currency (never added across currencies), sorted by currency, in one phrase: joined by
        ``sep`` when given (``"; "``), else as a list in words (``US$ 1,00 y $ 2,00``)."""
        pairs = totals.items() if isinstance(totals, Mapping) else totals
        texts = [self.money(amount, currency) for currency, amount in sorted(pairs, key=lambda p: p[0])]
        if sep or len(texts) <= 1:
            return (sep or "").join(texts)
        return ", ".join(texts[:-1]) + AND.get(self.language, ", ") + texts[-1]

    def number(self, value: Decimal | int | float) -> str:
        if isinstance(value, int):  # counts: grouped digits without babel's pattern machinery (a hot path)
            return f"{value:,d}".translate(self._separators)
        return format_decimal(value, locale=self.locale)

    # --- dates -----------------------------------------------------------------------------------------------

    def date(self, value: date | str, style: str = "short") -> str:
        """``short``: ``31/08/2026`` (messages, tables); ``medium``: ``31 ago 2026`` (digest lines); ``long``:
        ``31 de agosto de 2026`` (sentences)."""
        day = value if isinstance(value, date) else date.fromisoformat(value)
        text = self._dates.get((day, style))
        if text is None:
            if len(self._dates) > 30_000:
                self._dates.clear()
            pattern = self._date_pattern if style == "short" else style
            text = self._dates[(day, style)] = format_date(day, pattern, locale=self.locale)
        return text

    # --- plurals ---------------------------------------------------------------------------------------------

    def plural(self, n: int | Decimal, forms: Forms) -> str:
        """The form of a noun (or verb) that agrees with ``n``: ``forms`` is (one, other) or a CLDR category map."""
        category = self._category(n)
        if isinstance(forms, Mapping):
            return forms.get(category) or forms["other"]
        return forms[0] if category == "one" else forms[1]

    def _category(self, n: int | Decimal) -> str:
        """The CLDR plural category of ``n``, remembered for whole numbers (a message asks a dozen times)."""
        if not isinstance(n, int):
            return self.locale.plural_form(abs(n))
        category = self._plurals.get(n)
        if category is None:
            if len(self._plurals) > 10_000:
                self._plurals.clear()
            category = self._plurals[n] = self.locale.plural_form(abs(n))
        return category

    def count(self, n: int, forms: Forms) -> str:
        """``3 facturas``, ``1 factura``."""
        return f"{self.number(n)} {self.plural(n, forms)}"


@lru_cache(maxsize=256)
def words(language: str | None, country: str | None = None) -> Words:
    """The shared, cached ``Words`` of a language and country."""
    return Words(language, (country or "").upper() or None)


def whatsapp_link(phone: str | None) -> str | None:
    """Seed 002's click-to-chat: ``https://wa.me/<digits>`` (messages and the customer's page)."""
    digits = re.sub(r"\D", "", phone or "")
    return f"https://wa.me/{digits}" if digits else None
