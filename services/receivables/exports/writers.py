"""The formats of an export and the CSV writer: rows are written as they arrive in batches from a server-side
cursor, so no more than one batch is ever in memory. XLSX is streamed the same way by ``xlsx_stream``.
"""

import csv
import io
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from services.receivables.exports.tables import Column, Table

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Spreadsheet programs read a UTF-8 file as UTF-8 (accents, ñ) only when it starts with a byte-order mark.
UTF8_BOM = "\ufeff"

Batches = AsyncIterator[Iterable[Mapping[str, Any]]]


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        return CSV_MEDIA_TYPE if self is ExportFormat.CSV else XLSX_MEDIA_TYPE


def text(value: Any) -> str:
    """A value of no other kind as text: a list's entries separated by ``;``, an enum's value."""
    if isinstance(value, list | tuple):
        return ";".join(text(v) for v in value)
    if isinstance(value, StrEnum):
        return value.value
    return str(value)


def csv_cell(column: Column, value: Any) -> str:
    """ISO dates, datetimes in UTC, plain decimals (no exponent), ``true``/``false``; nothing for null."""
    if value is None:
        return ""
    if column.kind == "boolean":
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return text(value)


async def csv_chunks(table: Table, batches: Batches) -> AsyncIterator[bytes]:
    """The header, then one chunk per batch of rows."""
    yield (UTF8_BOM + ",".join(table.header) + "\r\n").encode()
    async for batch in batches:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([csv_cell(c, row.get(c.key)) for c in table.columns] for row in batch)
        yield buffer.getvalue().encode()
