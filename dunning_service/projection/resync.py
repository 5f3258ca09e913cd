"""Rebuild the projection from receivables' API (after an outage, a lost queue, or a new deployment).

Pages through ``GET /v1/customers`` and ``GET /v1/invoices?status=<each open status and in_plan>`` (cursor pagination,
items shaped like the ``customer_changed`` / ``invoice_changed`` snapshots with ``id``) and upserts them
with the same revision rule as the events, so a resync racing live events never brings back an older
state. Customers receivables no longer lists are marked deleted; open invoices it no longer lists are
marked missing and get no reminders until an event or the next resync says otherwise. A listing without
the collector, advisor and supervisor keeps the ones the events brought.
"""

import uuid
from typing import Any

import orjson
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from dunning_service.projection import repository
from dunning_service.runs.selection import LISTED
from dunning_service.settings import DunningSettings
from shared.clock import wall_now
from shared.contracts.receivables import CustomerChanged, InvoiceChanged
from shared.internal import InternalClient

log = structlog.get_logger()

RESYNC_JOB = "dunning.resync"
# The open statuses, and ``in_plan`` (issue 19): a grouped invoice keeps its row and its steps done while its plan
# lasts, and comes back with them when the plan breaks.
OPEN = [s.value for s in LISTED]


async def _pages(client: InternalClient, path: str, tenant_id: uuid.UUID, page_size: int, **filters: Any) -> Any:
    cursor = None
    while True:
        params = {"limit": page_size, **filters, **({"cursor": cursor} if cursor else {})}
        page = await client.get_json("receivables", path, tenant_id, **params)
        yield page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return


async def resync_tenant(
    engine: AsyncEngine, client: InternalClient, settings: DunningSettings, tenant_id: uuid.UUID
) -> dict[str, Any]:
    async with engine.connect() as conn, AsyncSession(bind=conn) as session:
        started = await repository.database_now(session)
    report: dict[str, Any] = {"started_at": started.isoformat(), "customers": 0, "invoices": 0}
    try:
        async for items in _pages(client, "/v1/customers", tenant_id, settings.resync_page_size):
            rows = [
                repository.customer_row(tenant_id, CustomerChanged.model_validate({**item, "customer_id": item["id"]}))
                for item in items
            ]
            with_people = any(person in item for item in items for person in repository.PEOPLE)
            with_credits = any("credits" in item for item in items)
            async with engine.begin() as conn, AsyncSession(bind=conn) as session:
                await repository.upsert_customers(session, rows, update_people=with_people, update_credits=with_credits)
                await repository.mark_seen(session, "customers", tenant_id, [r["id"] for r in rows])
            report["customers"] += len(rows)
        async for items in _pages(client, "/v1/invoices", tenant_id, settings.resync_page_size, status=OPEN):
            rows = [
                repository.invoice_row(tenant_id, InvoiceChanged.model_validate({**item, "invoice_id": item["id"]}))
                for item in items
            ]
            async with engine.begin() as conn, AsyncSession(bind=conn) as session:
                await repository.upsert_invoices(session, rows)
                await repository.mark_seen(session, "invoices", tenant_id, [r["id"] for r in rows])
            report["invoices"] += len(rows)
        async with engine.begin() as conn, AsyncSession(bind=conn) as session:
            report["customers_deleted"] = await repository.delete_customers_unseen(session, tenant_id, started)
            report["invoices_missing"] = await repository.mark_invoices_missing(session, tenant_id, started)
        report["status"] = "completed"
    except Exception as exc:
        log.exception("dunning_resync_failed", tenant_id=str(tenant_id))
        report["status"] = "failed"
        report["error"] = f"{type(exc).__name__}: {exc}"[:1000]
    report["finished_at"] = wall_now().isoformat()
    async with engine.begin() as conn, AsyncSession(bind=conn) as session:
        await repository.save_resync_report(session, tenant_id, _json(report))
    return report


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


async def resync_job(ctx: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    client = InternalClient(ctx["http"], ctx["settings"])
    return await resync_tenant(ctx["engine"], client, ctx["settings"], uuid.UUID(tenant_id))
