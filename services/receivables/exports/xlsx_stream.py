"""XLSX streamed as the rows are read, like the CSV: the workbook's fixed parts first, then its one sheet a batch at
a time, deflated into a ZIP written front to back (``zip_stream``). The first bytes leave before the first row is
read, so a million invoices never keep a gateway waiting for the whole file.

The sheet is SpreadsheetML written by hand: numbers are numbers, money formatted with its currency's decimals,
dates and datetimes date cells with a format, booleans booleans, everything else an inline string (never a formula:
a name starting with ``=`` stays text). Characters XML 1.0 forbids are dropped.

Written here rather than with a library (DESIGN.md names openpyxl for spreadsheets): openpyxl and XlsxWriter both
finish the whole workbook in a file before the ZIP's first byte exists (~7 minutes at a million invoices, far past
the gateway's 30 s), and one sheet of typed cells is a few hundred lines of the standard library. openpyxl stays as
the tests' independent reader.
"""

import asyncio
import math
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import quoteattr

from services.receivables.exports.tables import Column, Table
from services.receivables.exports.writers import Batches, text
from services.receivables.exports.zip_stream import ZIP32_LIMIT, ZipStream
from shared.money import ISO_4217, minor_units

SHEET = "xl/worksheets/sheet1.xml"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAX_TEXT = 32767  # characters in a cell, Excel's limit (openpyxl cut at it too)


def xlsx_value(column: Column, value: Any) -> Any:
    """Numbers stay numbers and dates dates; datetimes in UTC without a zone (Excel has none)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, Decimal | int | float | bool | date):
        return value
    return text(value)


def _money_code(places: int) -> str:
    return "#,##0." + "0" * places if places else "#,##0"


def money_format(currency: str | None) -> str:
    """Money shows its currency's decimals (2 when the row has no currency)."""
    return _money_code(minor_units(currency) if currency else 2)


# --- styles: one cell format per number format, its index the cell's ``s`` --------------------------------------

DATE_FORMAT, DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
_MOST_PLACES = max(minor_units(c) for c in ISO_4217)  # 4 (CLF, UYW)
_FORMATS = (DATE_FORMAT, DATETIME_FORMAT, *(_money_code(p) for p in range(_MOST_PLACES + 1)))
_BUILTIN = {"#,##0": 3, "#,##0.00": 4}  # Excel's own ids for these (openpyxl wrote them so)
_STYLE = {code: index for index, code in enumerate(_FORMATS, 1)}  # 0 is the default, no format
DATE_STYLE, DATETIME_STYLE = _STYLE[DATE_FORMAT], _STYLE[DATETIME_FORMAT]


def _format_ids() -> dict[str, int]:
    custom = [code for code in _FORMATS if code not in _BUILTIN]
    return {**_BUILTIN, **{code: number for number, code in enumerate(custom, 164)}}  # 164: the first custom id


def styles_xml() -> str:
    ids = _format_ids()
    custom = "".join(f'<numFmt numFmtId="{ids[c]}" formatCode={quoteattr(c)}/>' for c in _FORMATS if c not in _BUILTIN)
    xfs = "".join(
        f'<xf numFmtId="{ids[code]}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        for code in _FORMATS
    )
    return (
        f'{_XML}<styleSheet xmlns="{_MAIN}">'
        f'<numFmts count="{len(_FORMATS) - len(_BUILTIN)}">{custom}</numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
        '</fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(_FORMATS) + 1}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>{xfs}'
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


@lru_cache(maxsize=1024)
def money_style(currency: str | None) -> int:
    places = minor_units(currency) if currency else 2
    return _STYLE[_money_code(min(places, _MOST_PLACES))]


# --- the workbook's fixed parts --------------------------------------------------------------------------------


def fixed_parts(table: Table) -> list[tuple[str, str]]:
    """Every entry but the sheet: content types, relationships, the workbook naming the sheet, the styles."""
    content_types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/{SHEET}" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    )
    package_rels = (
        f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    workbook = (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
        "<bookViews><workbookView/></bookViews>"
        f'<sheets><sheet name={quoteattr(table.name)} sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    return [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", package_rels),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/styles.xml", styles_xml()),
    ]


# --- the sheet -------------------------------------------------------------------------------------------------

SHEET_HEAD = (
    f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'  # the header stays in view
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15"/><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"

# XML 1.0 has no way to write these (C0 controls but tab, newline and return; lone surrogates; U+FFFE, U+FFFF).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads _xHHHH_ in a string as the character HHHH: a literal one is written with its "_" escaped so.
_LOOKS_ESCAPED = re.compile("_(?=x[0-9A-Fa-f]{4}_)")


def xml_text(value: str) -> str:
    """``value`` as a cell's text: forbidden characters dropped, cut at Excel's limit, escaped for XML (a return
    as a character reference, which a parser would otherwise turn into a newline)."""
    if not value.isprintable():
        value = _FORBIDDEN.sub("", value)
    value = value[:MAX_TEXT]
    if "_x" in value:
        value = _LOOKS_ESCAPED.sub("_x005F_", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\r", "&#13;") if "\r" in value else value


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def excel_serial(value: date) -> float | int:
    """Days since 1899-12-30, Excel's (1900 system) count; a datetime's time as the fraction of its day."""
    if isinstance(value, datetime):
        delta = value - datetime(1899, 12, 30)
        days: float | int = delta.days + (delta.seconds + delta.microseconds / 1_000_000) / 86_400
    else:
        days = (value - date(1899, 12, 30)).days
    return days - 1 if 0 < days <= 60 else days  # Excel's 1900-02-29 that never was: before it, a day less


def _number(value: Decimal | int | float) -> str | None:
    """An xsd:double; None for a NaN or an infinity, which a sheet cannot hold (openpyxl wrote them empty)."""
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else None
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    return str(value)


def cell_xml(reference: str, column: Column, value: Any, currency: str | None) -> str:
    """One ``<c>``, or nothing for an empty cell. The number format comes from the column's kind (money with the
    row's currency, date, datetime) or, for a date in another column, from the value."""
    if type(value) is not str:  # half the cells are plain text: straight to it
        value = xlsx_value(column, value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Decimal | int | float):
        number = _number(value)
        if number is None:
            return ""
        style = f' s="{money_style(currency)}"' if column.kind == "money" else ""
        return f'<c r="{reference}"{style}><v>{number}</v></c>'
    if isinstance(value, date):
        if column.kind in ("date", "datetime"):
            style_index = DATE_STYLE if column.kind == "date" else DATETIME_STYLE
        else:
            style_index = DATETIME_STYLE if isinstance(value, datetime) else DATE_STYLE
        return f'<c r="{reference}" s="{style_index}"><v>{excel_serial(value)!r}</v></c>'
    content = xml_text(value)
    if not content:
        return ""
    space = ' xml:space="preserve"' if content[0].isspace() or content[-1].isspace() else ""
    return f'<c r="{reference}" t="inlineStr"><is><t{space}>{content}</t></is></c>'


def header_xml(table: Table) -> str:
    """Row 1: the columns' keys."""
    cells = (cell_xml(f"{column_letters(i)}1", Column(key), key, None) for i, key in enumerate(table.header))
    return f'<row r="1">{"".join(cells)}</row>'


def rows_xml(columns: tuple[Column, ...], rows: Iterable[Mapping[str, Any]], first: int) -> tuple[str, int]:
    """The ``<row>`` elements of ``rows``, numbered from ``first``; and the number the next row takes."""
    letters = [column_letters(i) for i in range(len(columns))]
    out = []
    number = first
    for row in rows:
        currency = row.get("currency")
        cells = "".join(
            cell_xml(f"{x}{number}", c, row.get(c.key), currency) for x, c in zip(letters, columns, strict=True)
        )
        out.append(f'<row r="{number}">{cells}</row>')
        number += 1
    return "".join(out), number


# --- the stream ------------------------------------------------------------------------------------------------


async def xlsx_chunks(table: Table, batches: Batches, limit: int = ZIP32_LIMIT) -> AsyncIterator[bytes]:
    """The workbook's bytes: the fixed parts and the sheet's start at once, then each batch's rows as they are read
    (deflated and flushed, so every batch leaves at once), then the end of the sheet and of the ZIP. The CPU work of
    a batch runs in a thread, so the event loop keeps serving. ``limit``: ZIP32's, lower only in tests."""
    archive = ZipStream(limit)
    opening = b"".join(archive.add(name, part.encode()) for name, part in fixed_parts(table))
    yield opening + archive.start(SHEET) + archive.write((SHEET_HEAD + header_xml(table)).encode(), flush=True)
    number = 2
    async for batch in batches:
        rows = list(batch)
        if rows:
            chunk, number = await asyncio.to_thread(_deflated_rows, archive, table.columns, rows, number)
            yield chunk
    yield archive.write(SHEET_TAIL.encode()) + archive.finish() + archive.close()


def _deflated_rows(
    archive: ZipStream, columns: tuple[Column, ...], rows: list[Mapping[str, Any]], first: int
) -> tuple[bytes, int]:
    xml, number = rows_xml(columns, rows, first)
    return archive.write(xml.encode(), flush=True), number
