"""The streamed XLSX (pure: synthetic batches, no database), read back by independent readers: zipfile for the
archive, openpyxl for the workbook. Its cells are the CSV's, in their own types; awkward text survives (or is
dropped where XML cannot hold it); a name starting with ``=`` stays text; the first bytes leave before any row is
read; an archive past the limit is refused."""

import csv
import io
import struct
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from services.receivables.exports.responses import rows_once
from services.receivables.exports.tables import AGING, CUSTOMERS, INVOICES, KPIS, Table
from services.receivables.exports.writers import csv_chunks
from services.receivables.exports.xlsx_stream import MAX_TEXT, column_letters, excel_serial, xlsx_chunks
from services.receivables.exports.zip_stream import ZipStream, ZipTooLarge
from tests.receivables.test_exports import typed

BUENOS_AIRES = timezone(timedelta(hours=-3))


def invoice(n: int) -> dict[str, Any]:
    """An invoice row as the repository shapes it, its values varied by ``n`` (nulls, currencies, zones)."""
    currency = ("ARS", "CLP", "KWD", "USD")[n % 4]
    return {
        "id": uuid.UUID(int=n),
        "external_id": f"F-{n:06d}",
        "number": f"A-0001-{n:08d}",
        "kind": "invoice" if n % 7 else "credit_note",
        "customer_id": uuid.UUID(int=10**6 + n % 97),
        "customer_external_id": f"C-{n % 97}",
        "customer_name": f"Ferretería Ñandú {n % 97} & Cía. <norte>",
        "currency": currency,
        "amount": Decimal(f"{1000 + n}.{n % 100:02d}") if currency != "CLP" else Decimal(1000 + n),
        "open_amount": Decimal("0") if n % 3 == 0 else Decimal(f"{n}.5"),
        "issue_date": date(2026, 1, 1) + timedelta(days=n % 300),
        "due_date": date(2026, 2, 1) + timedelta(days=n % 300),
        "days_overdue": n % 120 - 30,
        "status": "promise_to_pay" if n % 5 == 0 else "normal",
        "promised_date": date(2026, 12, 15) if n % 5 == 0 else None,
        "reported_date": None,
        "dispute_area_id": None,
        "closed_on": None if n % 3 else date(2026, 11, 30),
        "applies_to": [f"F-{n - 1:06d}", f"F-{n - 2:06d}"] if n % 7 == 0 else [],
        "document_url": f"https://erp.example/facturas/{n}.pdf" if n % 2 else None,
        "created_at": datetime(2026, 10, 1, 9, 30, tzinfo=BUENOS_AIRES) + timedelta(seconds=n, microseconds=n),
        "updated_at": datetime(2026, 12, 5, 15, 22, 9, tzinfo=UTC),
    }


async def in_batches(rows: list[Mapping[str, Any]], size: int) -> AsyncIterator[Iterable[Mapping[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def xlsx_bytes(table: Table, batches: AsyncIterator[Iterable[Mapping[str, Any]]], **kwargs: Any) -> bytes:
    return b"".join([chunk async for chunk in xlsx_chunks(table, batches, **kwargs)])


def sheet_rows(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return [row + [None] * (len(rows[0]) - len(row)) for row in rows]  # a row ends at its last value


async def test_a_multi_batch_export_holds_the_csv_s_cells_in_their_types():
    rows = [invoice(n) for n in range(1, 1234)]
    data = await xlsx_bytes(INVOICES, in_batches(rows, 100))
    text = b"".join([c async for c in csv_chunks(INVOICES, in_batches(rows, 100))]).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    sheet = sheet_rows(data)
    assert sheet[0] == lines[0] == INVOICES.header
    assert len(sheet) == len(lines) == len(rows) + 1
    assert typed(INVOICES.columns, sheet[1:], "xlsx") == typed(INVOICES.columns, lines[1:], "csv")


async def test_cells_keep_openpyxl_s_number_formats_and_the_sheet_its_frozen_header():
    rows = [invoice(n) for n in range(1, 5)]  # ARS, CLP, KWD, USD
    workbook = load_workbook(io.BytesIO(await xlsx_bytes(INVOICES, rows_once(rows))))
    sheet = workbook.worksheets[0]
    assert workbook.sheetnames == ["invoices"] and sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    column = {key: header.index(key) + 1 for key in header}
    formats = {
        sheet.cell(r, column["currency"]).value: sheet.cell(r, column["amount"]).number_format for r in range(2, 6)
    }
    assert formats == {"ARS": "#,##0.00", "CLP": "#,##0", "KWD": "#,##0.000", "USD": "#,##0.00"}
    due, created = sheet.cell(2, column["due_date"]), sheet.cell(2, column["created_at"])
    assert due.is_date and due.number_format == "yyyy-mm-dd" and due.value == datetime(2026, 2, 2)
    assert created.is_date and created.number_format == "yyyy-mm-dd hh:mm:ss"
    assert abs(created.value - datetime(2026, 10, 1, 12, 30, 1)) < timedelta(milliseconds=1)  # UTC, no zone
    assert sheet.cell(2, column["days_overdue"]).data_type == "n"
    assert sheet.cell(2, column["amount"]).value == 1001 and sheet.cell(3, column["amount"]).value == 1002.02
    customers = load_workbook(io.BytesIO(await xlsx_bytes(CUSTOMERS, rows_once([{"vip": True}, {"vip": False}]))))
    vip = customers.worksheets[0].cell(2, CUSTOMERS.header.index("vip") + 1)
    assert vip.data_type == "b" and vip.value is True
    assert customers.worksheets[0].cell(3, CUSTOMERS.header.index("vip") + 1).value is False


AWKWARD = {
    "xml": "Pérez & Hijos <S.A.> \"'quoted'\" ]]> &amp;",
    "formula": '=HYPERLINK("http://evil.example","cobrar")',
    "plus and minus": "+54 11 5555-0100",
    "error code": "#N/A",
    "emoji and accents": "Ñandú 😀 São João \u2013 ação №5",
    "spaces": "  both ends  ",
    "lines": "first\nsecond\r\nthird\ttab",
    "looks escaped": "_x0041_ and _x00e9_",
    "long": "x" * (MAX_TEXT + 10),
}


async def test_awkward_strings_read_back_as_written_and_never_as_formulas():
    controls = "a\x00b\x01c\x08d\x0be\x0cf\x1fg\ufffeh\uffffi\ud800j"
    rows = [{"name": value, "tax_id": key} for key, value in AWKWARD.items()] + [{"name": controls}]
    data = await xlsx_bytes(CUSTOMERS, rows_once(rows))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    name = CUSTOMERS.header.index("name") + 1
    cells = [sheet.cell(r, name) for r in range(2, len(rows) + 2)]
    assert all(c.data_type == "s" for c in cells)  # the formula and the error code stay text
    read = [unescape(c.value) for c in cells]  # as Excel reads _xHHHH_
    expected = [*AWKWARD.values(), "abcdefghij"]  # the characters XML 1.0 cannot hold, dropped
    expected[list(AWKWARD).index("long")] = "x" * MAX_TEXT  # Excel's limit
    assert read == expected


async def test_an_empty_export_is_a_workbook_with_its_header_only():
    for batches in (rows_once([]), in_batches([], 10)):
        data = await xlsx_bytes(AGING, batches)
        assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
        assert sheet_rows(data) == [AGING.header]


async def test_the_archive_is_a_zip_with_data_descriptors_that_readers_accept():
    data = await xlsx_bytes(KPIS, in_batches([{"kpi": "dso", "value": Decimal(n)} for n in range(2000)], 500))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None  # every entry's CRC checked
    assert archive.namelist() == [
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
    ]
    for info in archive.infolist():
        assert info.flag_bits & 0x08 and info.compress_type == zipfile.ZIP_DEFLATED
        local = data[info.header_offset : info.header_offset + 30]
        signature, _, flags, _, _, _, crc, compressed, size = struct.unpack("<IHHHHHIII", local[:26])
        assert signature == 0x04034B50 and flags & 0x08 and (crc, compressed, size) == (0, 0, 0)  # after the data
        end = info.header_offset + 30 + len(info.filename) + info.compress_size
        assert struct.unpack("<IIII", data[end : end + 16]) == (
            0x08074B50,
            info.CRC,
            info.compress_size,
            info.file_size,
        )
    assert archive.read("xl/worksheets/sheet1.xml").count(b"<row ") == 2001


async def test_the_first_bytes_leave_before_the_last_batch_is_read():
    consumed = 0

    async def counted() -> AsyncIterator[Iterable[Mapping[str, Any]]]:
        nonlocal consumed
        for start in range(0, 50, 10):
            consumed += 1
            yield [invoice(n) for n in range(start, start + 10)]

    seen = []
    async for chunk in xlsx_chunks(INVOICES, counted()):
        assert chunk
        seen.append(consumed)
    assert seen == [0, 1, 2, 3, 4, 5, 5]  # the workbook's start before any batch, then one chunk per batch, the end


async def test_an_archive_past_the_limit_is_refused():
    rows = [invoice(n) for n in range(400)]
    small = await xlsx_bytes(INVOICES, in_batches(rows, 100))
    with pytest.raises(ZipTooLarge, match=r"sheet1\.xml uncompressed passes 50,000 bytes"):
        await xlsx_bytes(INVOICES, in_batches(rows, 100), limit=50_000)
    assert zipfile.ZipFile(io.BytesIO(small)).testzip() is None  # the same rows fit the real limit


def test_zip_stream_refuses_misuse_and_a_directory_past_the_limit():
    archive = ZipStream()
    with pytest.raises(RuntimeError, match="no entry is started"):
        archive.write(b"x")
    archive.start("a.txt")
    with pytest.raises(RuntimeError, match=r"a\.txt is not finished"):
        archive.close()
    archive.write(b"hello")
    archive.finish()
    tight = ZipStream(limit=100)
    tight.add("a.txt", b"a")  # 31 + 5 + 3 + 16 bytes
    with pytest.raises(ZipTooLarge, match="the central directory's offset"):
        tight.add("b.txt", b"b")
        tight.close()


def test_column_letters_and_excel_s_day_numbers():
    assert [column_letters(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]
    assert excel_serial(date(2026, 12, 7)) == 46363
    assert excel_serial(date(1900, 3, 1)) == 61 and excel_serial(date(1900, 2, 28)) == 59  # Excel's 1900-02-29
    assert excel_serial(datetime(2026, 12, 7, 18)) == 46363.75


async def test_the_stream_is_the_same_bytes_each_time():
    rows = [invoice(n) for n in range(30)]
    assert await xlsx_bytes(INVOICES, in_batches(rows, 7)) == await xlsx_bytes(INVOICES, in_batches(rows, 7))
