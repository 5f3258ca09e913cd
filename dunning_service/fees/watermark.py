"""Whether a run's assessment of late charges may look at a few invoices only (issue 19), as pure decisions.

The full assessment (``statements.py``) checks every period due so far of every eligible invoice against every
charge recorded. After a real assessment of day W, a later day D can only charge something new to an invoice when:

- a fixed or percentage period became due in (W, D] (``due_windows``), or an interest month completed (every overdue
  invoice has a new period then: ``month_completed`` sends that day to the full assessment);
- what decides its rules or its amounts changed: its customer's row or any of the customer's invoices
  (``seen_at``: the strategy is the customer's and may weigh its overdue amount), an experiment dealt the customer
  a variant, a charge of the invoice changed status (a waiver frees room under a cap and the legal maximum), the
  configuration (``fingerprint``: the fee rules, the legal maximum, the strategies and experiments compiled);
- the last assessment left one of its due periods uncharged with room that may grow (the legal maximum's grows
  every day): a retry.

Changes are taken from ``MARGIN`` before the watermark's time: a transaction that began before the assessment's
snapshot (its ``now()``, what it stamps) and committed after it was not seen by that assessment.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson

MARGIN = timedelta(hours=1)
# Above this many candidates (a tenth of the 1M bench's invoices; after a resync, which marks every row seen, all are
# candidates) the full statement runs, its plan measured at 1M; the incremental one's was measured at small scale.
MAX_CANDIDATES = 100_000
_NOT_CONFIG = ("tenant_id", "as_of", "run_id")


@dataclass(frozen=True, slots=True)
class Watermark:
    """The last real assessment of a tenant: the day assessed, its transaction's ``now()``, its configuration."""

    as_of: date
    at: datetime
    fingerprint: str


def fingerprint(params: Mapping[str, Any], case_sql: str, k_sql: str, steer_sql: str | None) -> str:
    """What decides which rules apply to whom and how much they charge: the assessment's parameters (the fee rules,
    the legal maximum, the currencies, the compiled strategies' and experiments' parameters) but the tenant, the day
    and the run, with the strategies' SQL; sha256 of a canonical JSON."""
    config = {k: v for k, v in params.items() if k not in _NOT_CONFIG}
    payload = [config, case_sql, k_sql, steer_sql]
    return hashlib.sha256(orjson.dumps(payload, default=str, option=orjson.OPT_SORT_KEYS)).hexdigest()


def month_completed(since: date, as_of: date) -> bool:
    """A first day of a month in (since, as_of]: a month's interest became due for every overdue invoice."""
    if as_of <= since:
        return False
    return (as_of.year, as_of.month) != (since.year, since.month)


def decide(watermark: Watermark | None, as_of: date, config: str, has_interest: bool) -> Watermark | None:
    """The watermark an incremental assessment of ``as_of`` starts from, or None for the full one: incremental only
    when the last real assessment's reasoning still holds, the same configuration, not an earlier day (the same day
    again: only what changed since and the retries), no interest month completed since."""
    if watermark is None or as_of < watermark.as_of or config != watermark.fingerprint:
        return None
    if has_interest and month_completed(watermark.as_of, as_of):
        return None
    return watermark


def due_windows(thresholds: Iterable[int], since: date, as_of: date) -> list[tuple[date, date]]:
    """The due dates whose fixed or percentage period became due in (since, as_of] for some threshold (days
    overdue): ``due_date + threshold`` in that range, as (after, up_to] ranges of due dates, overlaps merged."""
    ranges = sorted((since - timedelta(days=t), as_of - timedelta(days=t)) for t in set(thresholds))
    merged: list[tuple[date, date]] = []
    for after, up_to in ranges:
        if after >= up_to:
            continue
        if merged and after <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], up_to))
        else:
            merged.append((after, up_to))
    return merged


def changed_since(watermark: Watermark) -> datetime:
    return watermark.at - MARGIN
