"""KPI queries: one set-based SQL statement each over the tenant's portfolio (definitions in ``rules.py``).

Filters: the customer's collector and segment, the currency, a period (``date_from``..``date_to`` inclusive)
and the as-of date of balances (aging, DSO). Amounts are per currency, never added across currencies.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.kpis import rules
from services.receivables.kpis.rules import aging_bucket_sql
from shared.contracts.common import OPEN_STATUSES

OPEN = "(" + ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES)) + ")"
# Issue 19: a payment plan's installments restructure debt already sold (its grouped invoices): no new credit sales.
# While a plan runs, its installments carry the debt and the grouped ``in_plan`` invoices count nowhere.
PLAN_INSTALLMENT = "(i.kind = 'installment' AND i.plan_id IS NOT NULL)"


@dataclass(frozen=True, slots=True)
class AgingRow:
    currency: str
    bucket: str
    amount: Decimal
    invoices: int


@dataclass(frozen=True, slots=True)
class DsoRow:
    currency: str
    receivables: Decimal
    days_counted: int
    sales_counted: Decimal
    dso: Decimal
    exhausted: bool


@dataclass(frozen=True, slots=True)
class CeiRow:
    currency: str
    beginning: Decimal
    sales: Decimal
    ending_total: Decimal
    ending_current: Decimal
    cei: Decimal | None  # rules.collection_effectiveness of the four sums


@dataclass(frozen=True, slots=True)
class BrokenAmount:
    currency: str
    amount: Decimal
    promises: int


@dataclass(frozen=True, slots=True)
class PromiseCounts:
    made: int
    kept: int
    broken: int
    cancelled: int
    open_now: int
    kept_rate: Decimal | None  # kept / (kept + broken) %, None when none was resolved
    broken_amounts: list[BrokenAmount]


@dataclass(frozen=True, slots=True)
class ExcuseCount:
    excuse: str
    outcomes: int
    notes: int


@dataclass(frozen=True, slots=True)
class HashtagCount:
    hashtag: str
    notes: int


@dataclass(frozen=True, slots=True)
class Excuses:
    by_reason: list[ExcuseCount]
    by_hashtag: list[HashtagCount]


@dataclass(frozen=True, slots=True)
class ContactCount:
    """The contacts one person made: in all, customers reached, and by outcome kind."""

    user_id: uuid.UUID | None
    name: str | None
    contacts: int
    customers: int
    outcomes: dict[str, int]


@dataclass(frozen=True, slots=True)
class WorkloadRow:
    user_id: uuid.UUID | None
    name: str | None
    open_tasks: int
    overdue: int
    due_today: int


@dataclass(frozen=True, slots=True)
class KpiFilter:
    tenant_id: uuid.UUID
    date_from: date
    date_to: date
    as_of: date
    collector_id: uuid.UUID | None = None
    segment: str | None = None
    currency: str | None = None
    timezone: str = "UTC"  # the tenant's: a period's days begin and end at its midnight

    def params(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "tz": self.timezone,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "as_of": self.as_of,
            "before": self.date_from - timedelta(days=1),
            "collector_id": self.collector_id,
            "segment": self.segment,
            "currency": self.currency,
        }

    def customer_join(self, alias: str = "i") -> str:
        """A join to the customers when the collector or segment filter needs it (else nothing)."""
        if self.collector_id is None and self.segment is None:
            return ""
        return f"JOIN receivables.customers c ON c.id = {alias}.customer_id"

    def customer_where(self) -> str:
        parts = []
        if self.collector_id is not None:
            parts.append("c.collector_id = :collector_id")
        if self.segment is not None:
            parts.append("c.segment = :segment")
        return "".join(f" AND {p}" for p in parts)

    def segment_of(self, alias: str) -> str:
        """The segment filter on a table with a customer_id (outcomes, promises), without a join."""
        if self.segment is None:
            return ""
        return (
            f" AND {alias}.customer_id IN (SELECT id FROM receivables.customers "
            "WHERE tenant_id = :tenant_id AND segment = :segment)"
        )

    def currency_where(self, alias: str = "i") -> str:
        return f" AND {alias}.currency = :currency" if self.currency else ""


async def aging(session: AsyncSession, f: KpiFilter) -> list[AgingRow]:
    """Open receivables (not credit notes) per currency and aging bucket at the as-of date."""
    query = f"""
        SELECT i.currency, {aging_bucket_sql("(CAST(:as_of AS date) - i.due_date)")} AS bucket,
               sum(i.open_amount) AS amount, count(*) AS invoices
        FROM receivables.invoices i {f.customer_join()}
        WHERE i.tenant_id = :tenant_id AND i.status IN {OPEN} AND i.kind <> 'credit_note' AND i.open_amount > 0
              {f.currency_where()}{f.customer_where()}
        GROUP BY 1, 2 ORDER BY 1, 2"""
    return [AgingRow(**r) for r in (await session.execute(text(query), f.params())).mappings()]


async def dso_countback(session: AsyncSession, f: KpiFilter, months: int) -> list[DsoRow]:
    """DSO by the countback method (``rules.countback_dso``): the receivables at the as-of date are matched
    against the credit sales of the months before it, most recent first (``rules.countback_months``: month k
    is (as_of - k months, as_of - (k - 1) months], written once in ``periods``). Sales: invoices, installments and
    promissory notes not voided, by issue date. One scan of the invoices; each sale finds its month by a binary
    search of the months' first days (``width_bucket``), a third of the cost of the calendar age per invoice."""
    first_days = "(SELECT array_agg(first_day ORDER BY k DESC) FROM periods)"  # ascending, as width_bucket wants
    sale = (
        f"i.status <> 'void' AND NOT {PLAN_INSTALLMENT} AND i.issue_date >= (SELECT min(first_day) FROM periods) "
        "AND i.issue_date <= :as_of"
    )
    query = f"""
        WITH periods AS (
            SELECT k, (CAST(:as_of AS date) - make_interval(months => k))::date + 1 AS first_day,
                   (CAST(:as_of AS date) - make_interval(months => k - 1))::date AS last_day
            FROM generate_series(1, :months) AS k
        ),
        scanned AS (
            SELECT i.currency,
                   CASE WHEN {sale} THEN :months + 1 - width_bucket(i.issue_date, {first_days}) END AS k,
                   coalesce(sum(i.open_amount) FILTER (WHERE i.status IN {OPEN} AND i.issue_date <= :as_of), 0)
                       AS receivables,
                   coalesce(sum(i.amount) FILTER (WHERE i.status <> 'void'), 0) AS sales
            FROM receivables.invoices i {f.customer_join()}
            WHERE i.tenant_id = :tenant_id AND i.kind <> 'credit_note'
                  AND ((i.status IN {OPEN} AND i.issue_date <= :as_of) OR ({sale}))
                  {f.currency_where()}{f.customer_where()}
            GROUP BY 1, 2
        ),
        ar AS (SELECT currency, sum(receivables) AS receivables FROM scanned GROUP BY 1),
        running AS (
            SELECT a.currency, a.receivables, p.k, p.last_day - p.first_day + 1 AS days,
                   coalesce(s.sales, 0) AS sales, sum(coalesce(s.sales, 0)) OVER w AS cum_sales,
                   sum(p.last_day - p.first_day + 1) OVER w AS cum_days
            FROM ar a CROSS JOIN periods p
            LEFT JOIN scanned s ON s.currency = a.currency AND s.k = p.k
            WINDOW w AS (PARTITION BY a.currency ORDER BY p.k)
        ),
        crossing AS (
            SELECT DISTINCT ON (currency) currency,
                   (cum_days - days) + (receivables - (cum_sales - sales)) / sales * days AS dso
            FROM running WHERE cum_sales >= receivables AND sales > 0
            ORDER BY currency, k
        )
        SELECT r.currency, r.receivables, max(r.cum_days) AS days_counted, max(r.cum_sales) AS sales_counted,
               CASE WHEN r.receivables <= 0 THEN 0 ELSE coalesce(x.dso, max(r.cum_days)) END AS dso,
               (r.receivables > 0 AND x.dso IS NULL) AS exhausted
        FROM running r LEFT JOIN crossing x ON x.currency = r.currency
        GROUP BY r.currency, r.receivables, x.dso ORDER BY r.currency"""
    return [DsoRow(**r) for r in (await session.execute(text(query), {**f.params(), "months": months})).mappings()]


def _owed_at(moment: str) -> str:
    """Whether an invoice is owed at the end of day ``moment`` (SQL): issued by then and not closed by then."""
    return f"i.issue_date <= {moment} AND (i.closed_on IS NULL OR i.closed_on > {moment})"


def _receivable_at(owed: str, paid_by: str) -> str:
    """``rules.receivable_at`` over a group of invoices alike (all owed or not, all open or not), from the
    sums of their amounts and payments: the sum of what each owes."""
    return (
        f"CASE WHEN NOT {owed} THEN 0 WHEN is_open THEN open_amount + coalesce(paid_in_all, 0) "
        f"- coalesce({paid_by}, 0) ELSE amount - coalesce({paid_by}, 0) END"
    )


async def collection_effectiveness(session: AsyncSession, f: KpiFilter) -> list[CeiRow]:
    """CEI over the period (``rules.collection_effectiveness``): beginning receivables (end of the day before
    the period), credit sales in the period, ending total and ending current (not yet due) receivables, each
    invoice's share given by ``rules.receivable_at``. The invoices are first summed in groups that answer the
    same to every condition of the formula (a few dozen per currency), so the per-invoice work is one hash
    aggregate rather than four sums of case-by-case arithmetic; the sums are exact, so the figures are equal."""
    begin = _receivable_at("owed_before", "paid_before")
    end = _receivable_at("owed_at_end", "paid_by_end")
    query = f"""
        WITH paid AS (
            SELECT a.invoice_id, sum(a.amount) AS in_all,
                   sum(a.amount) FILTER (WHERE a.payment_date <= :before) AS before,
                   sum(a.amount) FILTER (WHERE a.payment_date <= :date_to) AS by_end
            FROM receivables.payment_allocations a
            WHERE a.tenant_id = :tenant_id AND a.reversed_at IS NULL
            GROUP BY a.invoice_id
        ),
        alike AS (
            SELECT i.currency, {_owed_at("CAST(:before AS date)")} AS owed_before,
                   {_owed_at("CAST(:date_to AS date)")} AS owed_at_end, i.status IN {OPEN} AS is_open,
                   i.issue_date >= :date_from AND NOT {PLAN_INSTALLMENT} AS sold_in_period,
                   i.due_date >= :date_to AS current_at_end,
                   sum(i.amount) AS amount, sum(i.open_amount) AS open_amount, sum(p.in_all) AS paid_in_all,
                   sum(p.before) AS paid_before, sum(p.by_end) AS paid_by_end
            FROM receivables.invoices i LEFT JOIN paid p ON p.invoice_id = i.id {f.customer_join()}
            WHERE i.tenant_id = :tenant_id AND i.kind <> 'credit_note' AND i.status NOT IN ('void', 'in_plan')
                  AND i.issue_date <= :date_to {f.currency_where()}{f.customer_where()}
            GROUP BY 1, 2, 3, 4, 5, 6
        )
        SELECT currency,
               sum({begin}) AS beginning,
               coalesce(sum(amount) FILTER (WHERE sold_in_period), 0) AS sales,
               sum({end}) AS ending_total,
               coalesce(sum({end}) FILTER (WHERE current_at_end), 0) AS ending_current
        FROM alike GROUP BY currency ORDER BY currency"""
    return [
        CeiRow(
            **r, cei=rules.collection_effectiveness(r["beginning"], r["sales"], r["ending_total"], r["ending_current"])
        )
        for r in (await session.execute(text(query), f.params())).mappings()
    ]


async def promises(session: AsyncSession, f: KpiFilter) -> PromiseCounts:
    """Promises made in the period, and those resolved in it: kept, broken, cancelled; the kept rate."""
    collector = " AND p.collector_id = :collector_id" if f.collector_id else ""
    segment = f.segment_of("p")
    query = f"""
        SELECT
            count(*) FILTER (WHERE {_period("p.occurred_at")}) AS made,
            count(*) FILTER (WHERE p.status = 'kept' AND p.resolved_on BETWEEN :date_from AND :date_to) AS kept,
            count(*) FILTER (WHERE p.status = 'broken' AND p.resolved_on BETWEEN :date_from AND :date_to) AS broken,
            count(*) FILTER (WHERE p.status = 'cancelled' AND p.resolved_on BETWEEN :date_from AND :date_to)
                AS cancelled,
            count(*) FILTER (WHERE p.status = 'open') AS open_now
        FROM receivables.promises p
        WHERE p.tenant_id = :tenant_id {f.currency_where("p")}{collector}{segment}"""
    row = (await session.execute(text(query), f.params())).mappings().one()
    resolved = row["kept"] + row["broken"]
    amounts = f"""
        SELECT p.currency, sum(p.amount) AS amount, count(*) AS promises
        FROM receivables.promises p
        WHERE p.tenant_id = :tenant_id AND p.status = 'broken' AND p.resolved_on BETWEEN :date_from AND :date_to
              {f.currency_where("p")}{collector}{segment}
        GROUP BY 1 ORDER BY 1"""
    return PromiseCounts(
        **row,
        kept_rate=None if resolved == 0 else Decimal(row["kept"]) / resolved * 100,
        broken_amounts=[BrokenAmount(**r) for r in (await session.execute(text(amounts), f.params())).mappings()],
    )


def _period(column: str) -> str:
    """The period's days on the tenant's calendar: from ``date_from``'s midnight to the one after ``date_to``, in
    the tenant's timezone (a contact at 22:00 in Buenos Aires is that day's, though UTC is on the next)."""
    start = "(CAST(:date_from AS date)::timestamp AT TIME ZONE :tz)"
    end = "((CAST(:date_to AS date) + 1)::timestamp AT TIME ZONE :tz)"
    return f"{column} >= {start} AND {column} < {end}"


async def excuses(session: AsyncSession, f: KpiFilter) -> Excuses:
    """Outcomes and notes of the period by excuse reason (seed 004's five and other; a note's reason counts when
    the note is not an outcome's, whose excuse is counted already), and notes by hashtag."""
    collector = " AND o.collector_id = :collector_id" if f.collector_id else ""
    segment = f.segment_of("o")
    notes_filter = f.customer_join("n") + " " if (f.collector_id is not None or f.segment is not None) else ""
    by_reason = f"""
        SELECT excuse, sum(outcomes)::int AS outcomes, sum(notes)::int AS notes FROM (
            SELECT coalesce(o.excuse, 'none') AS excuse, count(*) AS outcomes, 0 AS notes
            FROM receivables.outcomes o
            WHERE o.tenant_id = :tenant_id AND {_period("o.occurred_at")}{collector}{segment}
            GROUP BY 1
            UNION ALL
            SELECT n.reason, 0, count(*)
            FROM receivables.notes n {notes_filter}
            WHERE n.tenant_id = :tenant_id AND n.reason IS NOT NULL AND n.outcome_id IS NULL
              AND {_period("n.occurred_at")}{f.customer_where()}
            GROUP BY 1
        ) counted
        GROUP BY 1 ORDER BY sum(outcomes) + sum(notes) DESC, 1"""
    by_hashtag = f"""
        SELECT tag AS hashtag, count(*) AS notes
        FROM receivables.notes n {notes_filter}CROSS JOIN LATERAL unnest(n.hashtags) AS tag
        WHERE n.tenant_id = :tenant_id AND {_period("n.occurred_at")}{f.customer_where()}
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 100"""
    return Excuses(
        by_reason=[ExcuseCount(**r) for r in (await session.execute(text(by_reason), f.params())).mappings()],
        by_hashtag=[HashtagCount(**r) for r in (await session.execute(text(by_hashtag), f.params())).mappings()],
    )


async def contacts(session: AsyncSession, f: KpiFilter) -> list[ContactCount]:
    """Contacts (outcomes recorded) per person who made them, by outcome kind (seed 004: contact counts)."""
    segment = f.segment_of("o")
    collector = " AND o.recorded_by_user_id = :collector_id" if f.collector_id else ""
    query = f"""
        SELECT o.recorded_by_user_id AS user_id, u.full_name AS name, o.kind, count(*) AS n,
               count(DISTINCT o.customer_id) AS customers
        FROM receivables.outcomes o
        LEFT JOIN receivables.users u ON u.tenant_id = o.tenant_id AND u.user_id = o.recorded_by_user_id
        WHERE o.tenant_id = :tenant_id AND {_period("o.occurred_at")}{collector}{segment}
        GROUP BY GROUPING SETS ((o.recorded_by_user_id, u.full_name, o.kind), (o.recorded_by_user_id, u.full_name))
        """
    people: dict[Any, dict[str, Any]] = {}
    for row in (await session.execute(text(query), f.params())).mappings():
        person = people.setdefault(
            row["user_id"],
            {"user_id": row["user_id"], "name": row["name"], "contacts": 0, "customers": 0, "outcomes": {}},
        )
        if row["kind"] is None:
            person["contacts"], person["customers"] = row["n"], row["customers"]
        else:
            person["outcomes"][row["kind"]] = row["n"]
    return [ContactCount(**p) for p in sorted(people.values(), key=lambda p: (-p["contacts"], p["name"] or ""))]


async def workload(session: AsyncSession, f: KpiFilter) -> list[WorkloadRow]:
    """Open tasks per assignee: how many, how many overdue, how many due at the as-of date."""
    collector = " AND t.assignee_id = :collector_id" if f.collector_id else ""
    query = f"""
        SELECT t.assignee_id AS user_id, u.full_name AS name, count(*) AS open_tasks,
               count(*) FILTER (WHERE t.due_date < :as_of) AS overdue,
               count(*) FILTER (WHERE t.due_date = :as_of) AS due_today
        FROM receivables.tasks t
        LEFT JOIN receivables.users u ON u.tenant_id = t.tenant_id AND u.user_id = t.assignee_id
        WHERE t.tenant_id = :tenant_id AND t.status = 'open'{collector}
        GROUP BY t.assignee_id, u.full_name ORDER BY open_tasks DESC, name"""
    return [WorkloadRow(**r) for r in (await session.execute(text(query), f.params())).mappings()]
