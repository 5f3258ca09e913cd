"""How a value becomes a cell, in each format (pure: no database)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from services.receivables.exports.tables import AGING, CUSTOMERS, INVOICES, KPIS, Column, aging_rows
from services.receivables.exports.writers import csv_cell
from services.receivables.exports.xlsx_stream import money_format, xlsx_value

BUENOS_AIRES = timezone(timedelta(hours=-3))


def test_csv_cells_are_plain_text_a_spreadsheet_reads_back():
    assert csv_cell(Column("amount", "money"), Decimal("1E+3")) == "1000"  # never an exponent
    assert csv_cell(Column("amount", "money"), Decimal("1250.50")) == "1250.50"
    assert csv_cell(Column("due_date", "date"), date(2026, 2, 1)) == "2026-02-01"
    moment = datetime(2026, 12, 6, 9, 30, tzinfo=BUENOS_AIRES)
    assert csv_cell(Column("created_at", "datetime"), moment) == "2026-12-06T12:30:00+00:00"
    assert csv_cell(Column("vip", "boolean"), True) == "true"
    assert csv_cell(Column("tags", "list"), ["north", "key-account"]) == "north;key-account"
    assert csv_cell(Column("tags", "list"), []) == ""
    assert csv_cell(Column("tax_id"), None) == ""


def test_xlsx_values_keep_numbers_and_dates():
    assert xlsx_value(Column("amount", "money"), Decimal("99.99")) == Decimal("99.99")
    assert xlsx_value(Column("due_date", "date"), date(2026, 2, 1)) == date(2026, 2, 1)
    moment = datetime(2026, 12, 6, 9, 30, tzinfo=BUENOS_AIRES)
    assert xlsx_value(Column("created_at", "datetime"), moment) == datetime(2026, 12, 6, 12, 30)  # UTC, no zone
    assert xlsx_value(Column("created_at", "datetime"), datetime(2026, 1, 1, tzinfo=UTC)).tzinfo is None
    assert xlsx_value(Column("tags", "list"), ["a", "b"]) == "a;b"


def test_money_shows_the_currency_s_decimals():
    assert money_format("ARS") == "#,##0.00"
    assert money_format("CLP") == "#,##0"
    assert money_format("KWD") == "#,##0.000"


def test_aging_has_one_row_per_currency_with_every_bucket():
    buckets = [{"bucket": b, "amount": Decimal(n), "invoices": n} for n, b in enumerate(["current", "1-30"], 1)]
    report = {
        "as_of": date(2026, 12, 6),
        "currencies": [{"currency": "ARS", "total": 3, "overdue": 2, "buckets": buckets}],
    }
    assert aging_rows(report) == [
        {
            "as_of": date(2026, 12, 6),
            "currency": "ARS",
            "current": 1,
            "1-30": 2,
            "overdue": 2,
            "total": 3,
            "invoices": 3,
        }
    ]


def test_each_exports_openapi_example_has_one_cell_per_column():
    for table in (CUSTOMERS, INVOICES, AGING, KPIS):
        header, row = list(csv.reader(io.StringIO(table.example_csv)))
        assert header == table.header
        assert len(row) == len(header), table.name
