"""The XLSX export's writer alone (issue 13, point 6): rows/s and the time to the first byte of the streamed
workbook (``xlsx_stream``) for the invoices table, against the path it replaced in the same run: openpyxl's
write-only workbook built in full in a temporary file before anything is sent (its first byte is its last). The CSV
writer's rate is printed beside them.

No database: invoice rows shaped as the repository shapes them, 500 to a batch as its cursor reads them (a pool of
distinct batches, cycled). Full size 200,000 rows, small 20,000. The baseline needs openpyxl (a dev dependency).
"""

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from bench.harness import arguments, bench_line
from services.receivables.exports.repository import BATCH
from services.receivables.exports.tables import INVOICES
from services.receivables.exports.writers import csv_chunks
from services.receivables.exports.xlsx_stream import money_format, xlsx_chunks, xlsx_value

POOL = 10  # distinct batches, cycled


def invoice(n: int) -> dict[str, Any]:
    currency = ("ARS", "CLP", "USD")[n % 3]
    return {
        "id": uuid.UUID(int=n),
        "external_id": f"F-{n:07d}",
        "number": f"A-0001-{n:08d}",
        "kind": "invoice",
        "customer_id": uuid.UUID(int=10**9 + n % 200_000),
        "customer_external_id": f"C-{n % 200_000}",
        "customer_name": f"Ferretería Los Andes {n % 200_000} S.A.",
        "currency": currency,
        "amount": Decimal(f"{1000 + n % 90_000}.25") if currency != "CLP" else Decimal(1000 + n % 90_000),
        "open_amount": Decimal(f"{n % 5000}.50") if currency != "CLP" else Decimal(n % 5000),
        "issue_date": date(2026, 1, 1) + timedelta(days=n % 300),
        "due_date": date(2026, 2, 1) + timedelta(days=n % 300),
        "days_overdue": n % 120 - 30,
        "status": "promise_to_pay" if n % 10 == 0 else "normal",
        "promised_date": date(2026, 12, 15) if n % 10 == 0 else None,
        "reported_date": None,
        "dispute_area_id": None,
        "closed_on": None,
        "applies_to": [],
        "document_url": f"https://erp.example/facturas/A-0001-{n:08d}.pdf",
        "created_at": datetime(2026, 10, 1, 12, tzinfo=UTC) + timedelta(seconds=n),
        "updated_at": datetime(2026, 12, 5, 15, 22, 9, tzinfo=UTC),
    }


POOL_BATCHES = [[invoice(b * BATCH + n) for n in range(BATCH)] for b in range(POOL)]


async def batches(rows: int) -> AsyncIterator[Iterable[Mapping[str, Any]]]:
    for index in range(rows // BATCH):
        yield POOL_BATCHES[index % POOL]


async def streamed(chunks: AsyncIterator[bytes]) -> tuple[float, float, int]:
    """Seconds to the first chunk and to the last, and the bytes sent."""
    start = time.perf_counter()
    first, size = 0.0, 0
    async for chunk in chunks:
        if not size:
            first = time.perf_counter() - start
        size += len(chunk)
    return first, time.perf_counter() - start, size


def openpyxl_workbook(rows: int) -> tuple[float, int]:
    """The replaced path: the same cells through openpyxl's write-only workbook, saved to a temporary file."""
    start = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(INVOICES.name)
    sheet.freeze_panes = "A2"
    sheet.append(INVOICES.header)
    for index in range(rows // BATCH):
        for row in POOL_BATCHES[index % POOL]:
            cells: list[Any] = []
            for column in INVOICES.columns:
                value = xlsx_value(column, row.get(column.key))
                if column.kind in ("money", "date", "datetime") and value is not None:
                    cell = WriteOnlyCell(sheet, value=value)
                    if column.kind == "money":
                        cell.number_format = money_format(row.get("currency"))
                    else:
                        cell.number_format = "yyyy-mm-dd" if column.kind == "date" else "yyyy-mm-dd hh:mm:ss"
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "export.xlsx")
        workbook.save(path)
        return time.perf_counter() - start, os.path.getsize(path)


async def main() -> None:
    args = arguments(__doc__ or "")
    rows = 200_000 if args.scale == "full" else 20_000
    first, ours, size = await streamed(xlsx_chunks(INVOICES, batches(rows)))
    print(f"xlsx streamed: {rows:,} rows in {ours:.2f} s, {rows / ours:,.0f} rows/s", end="; ")
    print(f"first byte after {first * 1000:.1f} ms; {size / 2**20:.1f} MiB")
    _, csv_seconds, csv_size = await streamed(csv_chunks(INVOICES, batches(rows)))
    print(f"csv streamed: {rows / csv_seconds:,.0f} rows/s; {csv_size / 2**20:.1f} MiB")
    baseline, baseline_size = openpyxl_workbook(rows)
    print(f"openpyxl workbook: {rows:,} rows in {baseline:.2f} s, {rows / baseline:,.0f} rows/s", end="; ")
    print(f"first byte after {baseline:.2f} s (the file complete); {baseline_size / 2**20:.1f} MiB")
    print(bench_line("xlsx_export_rows_per_s", rows / ours, rows / baseline, "rows/s"))


if __name__ == "__main__":
    asyncio.run(main())
