"""Invoice rows of a bulk load, turned into lines of PostgreSQL's COPY text format.

An ERP sends 10,000 rows a request, nearly all of them plain: string amounts with the currency's decimals,
``YYYY-MM-DD`` dates. ``plain_invoice_line`` checks such a row in a few microseconds, without building a model,
and gives its line; any row it is not sure about (an error, a float amount, a lower-case currency, a date with a
time...) goes to ``InvoiceRow``, which accepts it or names the field at fault. So the model stays the one rule:
the plain path only ever accepts rows the model accepts, with the same values
(``tests/receivables/test_invoice_rows.py`` holds the two together on generated rows).
"""

import re
from datetime import date
from typing import Any, NamedTuple, TypeGuard

from services.receivables.ingest.schemas import InvoiceRow, RejectedRow
from services.receivables.ingest.validation import validate_rows
from shared.contracts.common import InvoiceKind
from shared.db import array_literal
from shared.money import ISO_4217, minor_units

MINOR_UNITS = {code: minor_units(code) for code in ISO_4217}
KINDS = frozenset(k.value for k in InvoiceKind)
REQUESTED = frozenset({"open", "void", "written_off"})
# Up to 15 integer digits and 3 decimals: within the model's 18 digits whatever the currency.
PLAIN_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,14})(?:\.([0-9]{1,3}))?")
PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_VERSION = 2**63 - 1  # bigint
NULL = "\\N"
NO_INVOICES = "{}"  # applies_to of a row naming no invoices
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class Line(NamedTuple):
    """A valid row, staged as ``text`` (a line of COPY's text format)."""

    index: int  # type: ignore[assignment]  # the row's place in the request (shadows tuple.index; tests read it)
    external_id: str
    customer_external_id: str
    text: str


def copy_text(value: str) -> str:
    """A string as a field of COPY's text format (backslash, tab and line breaks escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(ESCAPES)
    return value


def copy_array(values: list[str]) -> str:
    """A list of strings as a COPY text field holding a PostgreSQL array literal (each element quoted)."""
    return copy_text(array_literal(values))


def _amount(value: Any, places: int) -> str | None:
    """A plain amount written with exactly ``places`` decimals, or None when not plain."""
    if isinstance(value, str):
        match = PLAIN_AMOUNT.fullmatch(value)
        if match is None:
            return None
        whole, decimals = match.group(1), match.group(2) or ""
    elif type(value) is int and 0 <= value < 10**15:
        whole, decimals = str(value), ""
    else:
        return None
    if len(decimals) > places:
        return None
    return f"{whole}.{decimals.ljust(places, '0')}" if places else whole


def _date(value: Any) -> str | None:
    if isinstance(value, str) and PLAIN_DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            return None
        return value
    return None


def _member(value: Any, allowed: frozenset[str] | dict[str, int]) -> TypeGuard[str]:
    return isinstance(value, str) and value in allowed


def _text(item: dict[str, Any], key: str, longest: int) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) and 0 < len(value) <= longest else None


def plain_invoice_line(index: int, item: Any) -> str | None:
    """The COPY line (the staging ``invoices.COLUMNS`` but the last, the new id) of a plainly valid row, or None
    to ask the model."""
    if not isinstance(item, dict):
        return None
    external_id = _text(item, "external_id", 100)
    customer = _text(item, "customer_external_id", 100)
    number = _text(item, "number", 60)
    currency = item.get("currency")
    kind = item.get("kind", "invoice")
    url = item.get("document_url")
    requested = item.get("status")
    version = item.get("version")
    if item.get("applies_to"):
        return None  # a credit note naming invoices: the model checks the list
    if (
        external_id is None
        or customer is None
        or number is None
        or not _member(currency, MINOR_UNITS)
        or not _member(kind, KINDS)
        or not (url is None or (isinstance(url, str) and len(url) <= 500))
        or not (requested is None or _member(requested, REQUESTED))
        or not (version is None or (type(version) is int and 0 <= version <= MAX_VERSION))
    ):
        return None
    places = MINOR_UNITS[currency]
    amount = _amount(item.get("amount"), places)
    given_open = item.get("open_amount")
    open_amount = amount if given_open is None else _amount(given_open, places)
    issued, due = _date(item.get("issue_date")), _date(item.get("due_date"))
    if amount is None or open_amount is None or issued is None or due is None or due < issued:
        return None
    # Both written alike (no leading zeros, the same decimals): the longer, or else the later, is the larger.
    if open_amount is not amount and (len(open_amount), open_amount) > (len(amount), amount):
        return None
    fields = (
        str(index),
        copy_text(external_id),
        copy_text(customer),
        copy_text(number),
        kind,
        currency,
        amount,
        open_amount,
        issued,
        due,
        NULL if url is None else copy_text(url),
        NULL if requested is None else requested,
        NULL if version is None else str(version),
        NO_INVOICES,
    )
    return "\t".join(fields)


def invoice_lines(items: list[Any]) -> tuple[list[Line], list[RejectedRow]]:
    """The ``Line`` of every valid row (plain ones directly, the rest through the model) and the rejected rows,
    each with its index, field and reason."""
    lines: list[Line] = []
    unsure: list[int] = []
    for index, item in enumerate(items):
        line = plain_invoice_line(index, item)
        if line is None:
            unsure.append(index)
        else:
            lines.append(Line(index, item["external_id"], item["customer_external_id"], line))
    if not unsure:
        return lines, []
    valid, rejected = validate_rows([items[i] for i in unsure], InvoiceRow)
    for position, row in valid:
        index = unsure[position]
        lines.append(Line(index, row.external_id, row.customer_external_id, model_invoice_line(index, row)))
    lines.sort(key=lambda line: line.index)
    return lines, [r.model_copy(update={"index": unsure[r.index]}) for r in rejected]


def model_invoice_line(index: int, row: InvoiceRow) -> str:
    """The COPY line of a row the model validated (the same columns as ``plain_invoice_line``)."""
    fields = (
        str(index),
        copy_text(row.external_id),
        copy_text(row.customer_external_id),
        copy_text(row.number),
        row.kind.value,
        row.currency,
        str(row.amount),
        str(row.open),
        row.issue_date.isoformat(),
        row.due_date.isoformat(),
        NULL if row.document_url is None else copy_text(row.document_url),
        NULL if row.status is None else row.status,
        NULL if row.version is None else str(row.version),
        copy_array(row.applies_to),
    )
    return "\t".join(fields)
