"""Reusable field types: countries, time zones, languages, phones (E.164) and emails, checked by real libraries."""

import zoneinfo
from datetime import date
from typing import Annotated

import phonenumbers
from babel import Locale
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field

COUNTRIES = frozenset(
    code for code in Locale("en").territories if isinstance(code, str) and len(code) == 2 and code.isalpha()
)
TIMEZONES = frozenset(zoneinfo.available_timezones())
LANGUAGES = ("es", "en", "pt")


def _country(code: str) -> str:
    code = code.upper()
    if code not in COUNTRIES:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _timezone(name: str) -> str:
    if name not in TIMEZONES:
        raise ValueError(f"{name!r} is not an IANA time zone")
    return name


def _language(code: str) -> str:
    code = code.lower()
    if code not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return code


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """Any written form of a valid number -> E.164 (``+5491155551234``); ``ValueError`` otherwise."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{raw!r} is not a phone number ({exc})") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


# Dates a collections system can mean: arithmetic on date.min or date.max (a day before, a month after) overflows.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
SaneDate = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]

CountryCode = Annotated[str, Field(examples=["AR"]), AfterValidator(_country)]
TimeZoneName = Annotated[str, Field(examples=["America/Argentina/Buenos_Aires"]), AfterValidator(_timezone)]
LanguageCode = Annotated[str, Field(examples=["es"]), AfterValidator(_language)]
E164Phone = Annotated[str, Field(examples=["+5491155551234"]), AfterValidator(normalize_phone)]
EmailAddress = Annotated[str, Field(examples=["cuentas@cliente.com"]), AfterValidator(normalize_email)]
