"""The two formats of an export: CSV streamed as the rows arrive, XLSX built by openpyxl's write-only workbook
into a temporary file (a ZIP must be complete before it is sent) and then streamed from it.

Rows come in batches from a server-side cursor, so neither format ever holds more than one batch in memory.
"""

import asyncio
import contextlib
import csv
import io
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from services.receivables.exports.tables import Column, Table
from shared.money import minor_units

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


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ";".join(_text(v) for v in value)
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
    return _text(value)


def xlsx_value(column: Column, value: Any) -> Any:
    """Numbers stay numbers and dates dates; datetimes in UTC without a zone (Excel has none)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, Decimal | int | float | bool | date):
        return value
    return _text(value)


def _money_format(currency: str | None) -> str:
    places = minor_units(currency) if currency else 2
    return "#,##0." + "0" * places if places else "#,##0"


def _xlsx_row(sheet: WriteOnlyWorksheet, columns: tuple[Column, ...], row: Mapping[str, Any]) -> list[Any]:
    cells = []
    for column in columns:
        value = xlsx_value(column, row.get(column.key))
        if column.kind in ("money", "date", "datetime") and value is not None:
            cell = WriteOnlyCell(sheet, value=value)
            if column.kind == "money":
                cell.number_format = _money_format(row.get("currency"))
            else:
                cell.number_format = "yyyy-mm-dd" if column.kind == "date" else "yyyy-mm-dd hh:mm:ss"
            cells.append(cell)
        else:
            cells.append(value)
    return cells


async def csv_chunks(table: Table, batches: Batches) -> AsyncIterator[bytes]:
    """The header, then one chunk per batch of rows."""
    yield (UTF8_BOM + ",".join(table.header) + "\r\n").encode()
    async for batch in batches:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([csv_cell(c, row.get(c.key)) for c in table.columns] for row in batch)
        yield buffer.getvalue().encode()


def _append(sheet: WriteOnlyWorksheet, columns: tuple[Column, ...], batch: Iterable[Mapping[str, Any]]) -> None:
    for row in batch:
        sheet.append(_xlsx_row(sheet, columns, row))


def _open_unlinked(path: str) -> BinaryIO:
    """The file open for reading, its name already removed: the disk space is freed when the handle closes, however
    the download ends (finished, cut off, never started)."""
    handle = open(path, "rb")  # noqa: SIM115 - the caller's response closes it
    os.unlink(path)
    return handle


async def xlsx_file(table: Table, batches: Batches) -> BinaryIO:
    """The workbook (one sheet named after the table, the header frozen) in an anonymous temporary file, open for
    reading. openpyxl's write-only sheets spill their rows to disk as they are appended; the CPU work of each batch
    runs in a thread, so the event loop keeps serving."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.name)
    sheet.freeze_panes = "A2"
    sheet.append(table.header)
    async for batch in batches:
        await asyncio.to_thread(_append, sheet, table.columns, list(batch))
    path = os.path.join(tempfile.gettempdir(), f"cobranza-export-{uuid.uuid4().hex}.xlsx")
    try:
        await asyncio.to_thread(workbook.save, path)
        return await asyncio.to_thread(_open_unlinked, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise


def file_chunks(handle: BinaryIO, size: int = 64 * 1024) -> Iterator[bytes]:
    """The file's bytes in chunks, closing it at the end (Starlette reads a plain iterator in a thread)."""
    with handle:
        while chunk := handle.read(size):
            yield chunk
