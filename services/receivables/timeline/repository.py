"""The customer's timeline [bitácora]: entries written by every change, plus the invoices themselves.

Invoices are not copied into the log (a million ingested invoices would mean a million more rows to write):
the timeline reads them from ``invoices`` and merges both sources in one ordered, keyset-paginated query.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import TimelineEntry
from services.receivables.tenant_settings.repository import load_profile
from services.receivables.timeline.schemas import HistoryEntryOut, TimelineEntryOut
from shared.ids import uuid7_texts
from shared.pagination import typed_cursor

_table = TimelineEntry.__table__
INVOICE_KIND = "invoice"
# An invoice's place on the timeline: when it entered the tenant's collections (its clock), else when written.
INVOICE_ENTERED = "coalesce(entered_at, created_at)"


async def add_entries(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    entries: Sequence[dict[str, Any]],
    *,
    at: datetime | None = None,
) -> None:
    """Append entries (one multi-row INSERT). Each has customer_id, kind, summary; optional data, invoice_id,
    ref_id, actor, occurred_at. They happened ``at`` (a back-dated record's moment), by default now on the
    tenant's clock (a sandbox tenant's test clock), so that a replayed calendar's timeline keeps its order."""
    if not entries:
        return
    now = at or (await load_profile(session, tenant_id)).clock.now()
    # Time-ordered ids: a test clock stands still between advances, and entries of the same instant then read in
    # the order they were written (the timeline's order is occurred_at, then id).
    ids = [uuid.UUID(i) for i in uuid7_texts(len(entries))]
    rows = [
        {
            "id": ids[position],
            "tenant_id": tenant_id,
            # a microsecond apart: entries written together keep their order on the timeline
            "occurred_at": now + timedelta(microseconds=position),
            "invoice_id": None,
            "ref_id": None,
            "actor": None,
            **{k: v for k, v in entry.items() if v is not None or k not in ("occurred_at", "data")},
            "data": to_jsonable_python(entry.get("data") or {}),
        }
        for position, entry in enumerate(entries)
    ]
    await session.execute(insert(_table), rows)


def _after_clause(order_desc: bool) -> str:
    return "(occurred_at, id) < (:after_at, :after_id)" if order_desc else "(occurred_at, id) > (:after_at, :after_id)"


async def list_timeline(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    *,
    kinds: Sequence[str] | None,
    limit: int,
    after: list[Any] | None,
    newest_first: bool = True,
) -> list[TimelineEntryOut]:
    params: dict[str, Any] = {"tenant_id": tenant_id, "customer_id": customer_id, "limit": limit + 1}
    entry_filters = ["tenant_id = :tenant_id", "customer_id = :customer_id"]
    invoice_filters = ["tenant_id = :tenant_id", "customer_id = :customer_id"]
    if kinds:
        entry_filters.append("kind = ANY(:kinds)")
        params["kinds"] = list(kinds)
    if after:
        params["after_at"], params["after_id"] = typed_cursor(after, datetime.fromisoformat, uuid.UUID)
        entry_filters.append(_after_clause(newest_first))
        invoice_filters.append(_after_clause(newest_first).replace("occurred_at", INVOICE_ENTERED))
    direction = "DESC" if newest_first else "ASC"
    branches = [
        "SELECT id, occurred_at, kind, invoice_id, ref_id, summary, data, actor "
        f"FROM receivables.timeline_entries WHERE {' AND '.join(entry_filters)} "
        f"ORDER BY occurred_at {direction}, id {direction} LIMIT :limit"
    ]
    if not kinds or INVOICE_KIND in kinds:
        branches.append(
            f"SELECT id, {INVOICE_ENTERED} AS occurred_at, 'invoice' AS kind, id AS invoice_id, id AS ref_id, "
            "'Invoice ' || number || ' for ' || currency || ' ' || amount::text || ', due ' || due_date::text "
            "AS summary, jsonb_build_object('number', number, 'kind', kind, 'currency', currency, "
            "'amount', amount::text, 'issue_date', issue_date, 'due_date', due_date, 'external_id', external_id) "
            "AS data, NULL AS actor "
            f"FROM receivables.invoices WHERE {' AND '.join(invoice_filters)} "
            f"ORDER BY {INVOICE_ENTERED} {direction}, id {direction} LIMIT :limit"
        )
    union = " UNION ALL ".join(f"({b})" for b in branches)
    query = f"SELECT * FROM ({union}) t ORDER BY occurred_at {direction}, id {direction} LIMIT :limit"
    return [
        TimelineEntryOut.model_validate(dict(row)) for row in (await session.execute(text(query), params)).mappings()
    ]


async def invoice_history(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    invoice_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
) -> list[HistoryEntryOut]:
    """The invoice's status changes and other events, oldest first (who, when, why), ``limit + 1`` after the
    cursor's entry."""
    params: dict[str, Any] = {"tenant_id": tenant_id, "invoice_id": invoice_id, "limit": limit + 1}
    filters = ["tenant_id = :tenant_id", "invoice_id = :invoice_id"]
    if after:
        params["after_at"], params["after_id"] = typed_cursor(after, datetime.fromisoformat, uuid.UUID)
        filters.append(_after_clause(order_desc=False))
    query = (
        "SELECT id, occurred_at, kind, summary, data, actor FROM receivables.timeline_entries "
        f"WHERE {' AND '.join(filters)} ORDER BY occurred_at, id LIMIT :limit"
    )
    return [
        HistoryEntryOut.model_validate(dict(row)) for row in (await session.execute(text(query), params)).mappings()
    ]
