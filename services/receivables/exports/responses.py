"""The answer of an export route: a streamed CSV or XLSX, with a download file name, and how OpenAPI documents
it."""

from datetime import date
from typing import Annotated, Any

from fastapi import Query
from starlette.responses import Response, StreamingResponse

from services.receivables.exports.tables import Table
from services.receivables.exports.writers import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Batches,
    ExportFormat,
    csv_chunks,
)
from services.receivables.exports.xlsx_stream import xlsx_chunks

FormatParam = Annotated[
    ExportFormat,
    Query(
        alias="format",
        description="`csv` (UTF-8 with a byte-order mark) or `xlsx` (one sheet), both streamed as they are read",
    ),
]


def export_responses(what: str, table: Table) -> dict[int | str, dict[str, Any]]:
    """The 200 answer in both media types (OpenAPI ``responses=``), the CSV with an example of ``table``."""
    return {
        200: {
            "description": f"{what}: a header row of English keys (the JSON field names), then one row per item. "
            "Money is a number with its currency in its own column; dates are ISO (CSV) or dates (XLSX); "
            "lists are one cell, entries separated by `;`. `Content-Disposition` names the file.",
            "content": {
                CSV_MEDIA_TYPE: {"schema": {"type": "string"}, "example": table.example_csv},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }


def _disposition(table: Table, export_format: ExportFormat, day: date) -> str:
    return f'attachment; filename="{table.name}-{day.isoformat()}.{export_format.value}"'


async def export(table: Table, export_format: ExportFormat, batches: Batches, day: date) -> Response:
    """Either format is sent as its rows are read (so without a ``Content-Length``)."""
    chunks = csv_chunks(table, batches) if export_format is ExportFormat.CSV else xlsx_chunks(table, batches)
    media_type = f"{CSV_MEDIA_TYPE}; charset=utf-8" if export_format is ExportFormat.CSV else XLSX_MEDIA_TYPE
    return StreamingResponse(
        chunks, media_type=media_type, headers={"Content-Disposition": _disposition(table, export_format, day)}
    )


async def rows_once(rows: list[Any]) -> Batches:
    """A report computed in full (a few rows per currency or person) as the writers' one batch."""
    yield rows
