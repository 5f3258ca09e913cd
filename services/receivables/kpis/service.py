"""Shapes the KPI query results for the API (rounding, buckets in order with zeros)."""

from collections import defaultdict
from dataclasses import asdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.kpis import repository
from services.receivables.kpis.repository import AgingRow, KpiFilter
from shared.aging import BUCKET_NAMES

ZERO = Decimal(0)


def _round(value: Decimal | None, places: str) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


async def aging(session: AsyncSession, f: KpiFilter) -> dict[str, Any]:
    rows = await repository.aging(session, f)
    per_currency: dict[str, dict[str, AgingRow]] = defaultdict(dict)
    for row in rows:
        per_currency[row.currency][row.bucket] = row
    currencies = []
    for currency, buckets in sorted(per_currency.items()):
        ordered: list[dict[str, Any]] = [
            {
                "bucket": name,
                "amount": buckets[name].amount if name in buckets else ZERO,
                "invoices": buckets[name].invoices if name in buckets else 0,
            }
            for name in BUCKET_NAMES
        ]
        total = sum((b["amount"] for b in ordered), ZERO)
        overdue = sum((b["amount"] for b in ordered if b["bucket"] != "current"), ZERO)
        currencies.append({"currency": currency, "total": total, "overdue": overdue, "buckets": ordered})
    return {"as_of": f.as_of, "currencies": currencies}


async def dso(session: AsyncSession, f: KpiFilter, months: int) -> dict[str, Any]:
    rows = await repository.dso_countback(session, f, months)
    return {
        "as_of": f.as_of,
        "method": "countback",
        "months": months,
        "currencies": [{**asdict(r), "dso": _round(r.dso, "0.1")} for r in rows],
    }


async def cei(session: AsyncSession, f: KpiFilter) -> dict[str, Any]:
    rows = await repository.collection_effectiveness(session, f)
    return {
        "date_from": f.date_from,
        "date_to": f.date_to,
        "currencies": [{**asdict(r), "cei": _round(r.cei, "0.01")} for r in rows],
    }


async def promises(session: AsyncSession, f: KpiFilter) -> dict[str, Any]:
    counts = await repository.promises(session, f)
    return {
        "date_from": f.date_from,
        "date_to": f.date_to,
        **asdict(counts),
        "kept_rate": _round(counts.kept_rate, "0.01"),
    }


async def excuses(session: AsyncSession, f: KpiFilter) -> dict[str, Any]:
    return {"date_from": f.date_from, "date_to": f.date_to, **asdict(await repository.excuses(session, f))}


async def contacts(session: AsyncSession, f: KpiFilter) -> dict[str, Any]:
    collectors = [asdict(c) for c in await repository.contacts(session, f)]
    return {"date_from": f.date_from, "date_to": f.date_to, "collectors": collectors}


async def workload(session: AsyncSession, f: KpiFilter) -> dict[str, Any]:
    return {"as_of": f.as_of, "assignees": [asdict(w) for w in await repository.workload(session, f)]}
