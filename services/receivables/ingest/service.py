"""Bulk ingestion from the ERP: validate each row on its own, store the valid ones set-based, report the rest."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.ingest.csv_file import parse_customer_file, upsert_people
from services.receivables.ingest.customers import upsert_customers
from services.receivables.ingest.invoice_rows import invoice_lines
from services.receivables.ingest.invoices import Counts, upsert_invoices
from services.receivables.ingest.payments import upsert_payments
from services.receivables.ingest.schemas import CustomerRow, IngestResult, PaymentRow, RejectedRow
from services.receivables.ingest.validation import drop_duplicates, parse_items, validate_rows
from services.receivables.tenant_settings.repository import load_profile
from shared.identity import Identity
from shared.tenant_users import TenantUsers

CHUNK = 10_000


def _result(
    received: int, counts: Counts, rejected: list[RejectedRow], ignored: list[str] | None = None
) -> IngestResult:
    return IngestResult(
        received=received,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejected=sorted(rejected, key=lambda r: r.index),
        ignored_columns=ignored or [],
    )


def _valid(items: list[Any], model: type[BaseModel]) -> tuple[list[tuple[int, Any]], list[RejectedRow]]:
    rows, rejected = validate_rows(items, model)
    rows, duplicates = drop_duplicates(rows)
    return rows, rejected + duplicates


async def ingest_customers(
    session: AsyncSession, identity: Identity, body: bytes, max_rows: int, gateway: TenantUsers
) -> IngestResult:
    items = parse_items(body, max_rows)
    rows, rejected = _valid(items, CustomerRow)
    profile = await load_profile(session, identity.tenant_id)
    counts, refused = await upsert_customers(session, profile, rows, gateway)
    return _result(len(items), counts, rejected + refused)


async def ingest_invoices(session: AsyncSession, identity: Identity, body: bytes, max_rows: int) -> IngestResult:
    items = parse_items(body, max_rows)
    lines, rejected = invoice_lines(items)
    lines, duplicates = drop_duplicates(lines, key=lambda line: line.external_id)
    profile = await load_profile(session, identity.tenant_id)
    counts, refused = await upsert_invoices(session, profile, lines, identity.actor)
    rejected += duplicates
    return _result(len(items), counts, rejected + refused)


async def ingest_payments(session: AsyncSession, identity: Identity, body: bytes, max_rows: int) -> IngestResult:
    items = parse_items(body, max_rows)
    rows, rejected = _valid(items, PaymentRow)
    profile = await load_profile(session, identity.tenant_id)
    counts, refused = await upsert_payments(session, profile, rows, identity.actor)
    return _result(len(items), counts, rejected + refused)


async def ingest_customer_file(
    session: AsyncSession,
    identity: Identity,
    body: bytes,
    max_rows: int,
    gateway: TenantUsers,
    charset: str | None = None,
) -> IngestResult:
    profile = await load_profile(session, identity.tenant_id)
    parsed = parse_customer_file(body, profile.country, max_rows, charset)
    advisor_ids = await upsert_people(session, identity.tenant_id, parsed)
    items = [
        {**row, "advisor_id": str(advisor_ids[parsed.advisor_of_row[i]])} if i in parsed.advisor_of_row else row
        for i, row in parsed.rows
    ]
    indexes = [i for i, _ in parsed.rows]
    valid, rejected = validate_rows(items, CustomerRow)
    valid = [(indexes[position], row) for position, row in valid]
    rejected = [r.model_copy(update={"index": indexes[r.index]}) for r in rejected]
    valid, duplicates = drop_duplicates(valid)
    total = Counts()
    refused_all: list[RejectedRow] = []
    for start in range(0, len(valid), CHUNK):
        counts, refused = await upsert_customers(session, profile, valid[start : start + CHUNK], gateway)
        total.created += counts.created
        total.updated += counts.updated
        total.unchanged += counts.unchanged
        refused_all += refused
    received = len(parsed.rows) + len(parsed.rejected)
    return _result(received, total, parsed.rejected + rejected + duplicates + refused_all, parsed.ignored_columns)
