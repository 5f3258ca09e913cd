"""An experiment's results: receivables' facts per customer (``POST /internal/experiment-facts``, asked over its
HTTP API, never its schema) aggregated per variant with the intervals of ``stats``. The aggregation is pure."""

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from dunning_service.experiments import stats
from dunning_service.experiments.rules import Variant
from shared.internal import InternalClient
from shared.problems import ServiceUnavailable

FACTS_PATH = "/internal/experiment-facts"
CHUNK = 5000  # customers per call


class ReceivablesUnavailable(ServiceUnavailable):
    slug, title = "receivables-unavailable", "Receivables did not answer the experiment's facts"


async def fetch_facts(
    client: InternalClient, tenant_id: uuid.UUID, customers: Sequence[uuid.UUID], start: date, end: date, window: int
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    try:
        for n in range(0, len(customers), CHUNK):
            body = {
                "customer_ids": [str(c) for c in customers[n : n + CHUNK]],
                "start": start.isoformat(),
                "end": end.isoformat(),
                "window_days": window,
            }
            response = await client.request("POST", "receivables", FACTS_PATH, tenant_id, json=body)
            out.extend(response.json()["customers"])
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise ReceivablesUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
    return out


def _rate(successes: int, n: int) -> dict[str, Any]:
    e = stats.wilson(successes, n)
    return {"value": e.value, "low": e.low, "high": e.high, "n": n, "successes": successes}


def _mean(e: stats.Estimate) -> dict[str, Any]:
    return {"value": e.value, "low": e.low, "high": e.high, "n": e.n}


def _diff(e: stats.Estimate) -> dict[str, Any]:
    return {"value": e.value, "low": e.low, "high": e.high}


def aggregate(
    variants: Sequence[Variant],
    control: str | None,
    assigned: Mapping[uuid.UUID, str],
    facts: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Per variant: customers, promise rate, paid-within rate, days to pay, collected per currency (total and
    mean per customer, every customer of the variant counting, 0 when it paid nothing), each against the control."""
    by_customer = {uuid.UUID(str(f["customer_id"])): f for f in facts}
    currencies = sorted({c["currency"] for f in facts for c in f["collected"]})
    est: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for v in variants:
        members = [c for c, key in assigned.items() if key == v.key]
        rows = [by_customer[c] for c in members if c in by_customer]
        promised = sum(1 for f in rows if f["promises"] > 0)
        invoices = [i for f in rows for i in f["invoices"]]
        within = sum(1 for i in invoices if i["paid_within"])
        days = [float(i["days_to_pay"]) for i in invoices if i["days_to_pay"] is not None]
        amounts: dict[str, list[Decimal]] = defaultdict(list)
        for f in rows:
            paid = {c["currency"]: Decimal(str(c["amount"])) for c in f["collected"]}
            for currency in currencies:
                amounts[currency].append(paid.get(currency, Decimal(0)))
        est[v.key] = {
            "promise_rate": stats.wilson(promised, len(rows)),
            "paid_within": stats.wilson(within, len(invoices)),
            "days_to_pay": stats.mean(days),
            "collected": {c: stats.mean([float(a) for a in amounts[c]]) for c in currencies},
        }
        out.append(
            {
                "key": v.key,
                "name": v.name,
                "strategy_id": v.strategy_id,
                "customers": len(members),
                "promise_rate": _rate(promised, len(rows)),
                "paid_within": _rate(within, len(invoices)),
                "days_to_pay": _mean(est[v.key]["days_to_pay"]),
                "collected": [
                    {
                        "currency": c,
                        "total": sum(amounts[c], Decimal(0)),
                        "per_customer": _mean(est[v.key]["collected"][c]),
                    }
                    for c in currencies
                ],
            }
        )
    for item in out:
        base = est.get(control or "")
        mine = est[item["key"]]
        if base is None or item["key"] == control:
            item["vs_control"] = None
            for c in item["collected"]:
                c["vs_control"] = None
            continue
        item["vs_control"] = {
            m: _diff(stats.difference(mine[m], base[m])) for m in ("promise_rate", "paid_within", "days_to_pay")
        }
        for c in item["collected"]:
            c["vs_control"] = _diff(
                stats.difference(mine["collected"][c["currency"]], base["collected"][c["currency"]])
            )
    return out
