"""Warning signs: the features of a whole portfolio (or of some customers) in one set-based query, the rules of
``rules.py`` applied in SQL, and the refresh that writes the signs, the computed risk and the events in one
statement.

The SQL twin of each rule sits in ``DECIDED`` beside its evidence and reason; ``tests/receivables/
test_warning_signs_agree.py`` checks on random histories that ``rules.signs_of`` over ``FEATURES``' rows gives what
the refresh stored. Indexes used: allocations by invoice, invoices by (tenant, customer, due date), promises by
(tenant, resolved_on); a whole tenant reads its allocations and its open (or recently closed) invoices once.
"""

import uuid
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import OUTBOX_COLUMNS, announce_customers_later, outbox_select
from services.receivables.models import Tenant
from services.receivables.signs.rules import GROWTH_STEP_DAYS, HISTORY_DAYS, WINDOW_DAYS, Features, Thresholds
from services.receivables.signs.schemas import CustomerSignsOut, WarningSignFilters
from shared.contracts.receivables import WarningSignKind, WarningSignsChanged
from shared.db import set_local

EVENT_CHUNK = 10_000  # customers per WarningSignsChanged (and per deferred CustomersChanged)

# The customers in scope: the tenant's (all, or those in :ids).
_SCOPE = """
scope AS MATERIALIZED (
    SELECT c.id, c.external_id, c.collector_id, c.contacts, c.computed_risk_level, c.computed_risk_reasons
    FROM receivables.customers c
    WHERE c.tenant_id = :tenant_id AND NOT c.deleted
      AND (CAST(:ids AS uuid[]) IS NULL OR c.id = ANY(CAST(:ids AS uuid[])))
)"""

# Each invoice payment of the history, newest first per customer, and how late it came.
_TREND = f"""
paid AS (
    SELECT i.customer_id, greatest(a.payment_date - i.due_date, 0) AS days_late,
           row_number() OVER (PARTITION BY i.customer_id ORDER BY a.payment_date DESC, a.id DESC) AS n
    FROM scope s
    JOIN receivables.invoices i ON i.tenant_id = :tenant_id AND i.customer_id = s.id
    JOIN receivables.payment_allocations a ON a.tenant_id = :tenant_id AND a.invoice_id = i.id
    WHERE i.kind = 'invoice' AND a.reversed_at IS NULL
      AND a.payment_date > CAST(:today AS date) - {HISTORY_DAYS} AND a.payment_date <= CAST(:today AS date)
),
trend AS (
    SELECT customer_id,
           count(*) FILTER (WHERE n <= :recent_payments) AS recent_count,
           coalesce(sum(days_late) FILTER (WHERE n <= :recent_payments), 0) AS recent_days_late,
           count(*) FILTER (WHERE n > :recent_payments) AS earlier_count,
           coalesce(sum(days_late) FILTER (WHERE n > :recent_payments), 0) AS earlier_days_late
    FROM paid GROUP BY customer_id
)"""

# Invoice payments of the window that left a larger, older, overdue invoice of the same currency open.
_SMALL_BEFORE_LARGE = f"""
small AS (
    SELECT i.customer_id, a.payment_date, a.id, i.number AS small_paid_number, l.number AS large_open_number
    FROM scope s
    JOIN receivables.invoices i ON i.tenant_id = :tenant_id AND i.customer_id = s.id
    JOIN receivables.payment_allocations a ON a.tenant_id = :tenant_id AND a.invoice_id = i.id
    CROSS JOIN LATERAL (
        SELECT l.number FROM receivables.invoices l
        WHERE l.tenant_id = :tenant_id AND l.customer_id = i.customer_id AND l.kind = 'invoice'
          AND l.due_date < i.due_date AND l.due_date < a.payment_date AND l.issue_date <= a.payment_date
          AND l.currency = i.currency AND l.amount > i.amount
          AND (l.closed_on IS NULL OR l.closed_on > a.payment_date)
        ORDER BY l.amount DESC, l.id LIMIT 1
    ) l
    WHERE i.kind = 'invoice' AND a.reversed_at IS NULL
      AND a.payment_date > CAST(:today AS date) - {WINDOW_DAYS} AND a.payment_date <= CAST(:today AS date)
),
small_counts AS (
    SELECT DISTINCT ON (customer_id) customer_id, count(*) OVER (PARTITION BY customer_id) AS small_before_large,
           small_paid_number, large_open_number
    FROM small ORDER BY customer_id, payment_date DESC, id DESC
)"""

_BROKEN = f"""
broken AS (
    SELECT p.customer_id, count(*) AS broken_promises, max(p.resolved_on) AS last_broken_on
    FROM receivables.promises p JOIN scope s ON s.id = p.customer_id
    WHERE p.tenant_id = :tenant_id AND p.status = 'broken'
      AND p.resolved_on > CAST(:today AS date) - {WINDOW_DAYS} AND p.resolved_on <= CAST(:today AS date)
    GROUP BY p.customer_id
)"""

_BAD_CONTACTS = """
bad AS (
    SELECT s.id AS customer_id, array_agg((x.e->>'channel') || ':' || (x.e->>'address') ORDER BY x.n) AS contacts
    FROM scope s CROSS JOIN LATERAL jsonb_array_elements(s.contacts) WITH ORDINALITY AS x(e, n)
    WHERE coalesce((x.e->>'invalid')::boolean, false)
    GROUP BY s.id
)"""


def _overdue_on(day: str) -> str:
    """Whether the candidate invoice ``c`` was past due and not closed on ``day`` (a SQL date)."""
    return f"(c.due_date < {day} AND c.issue_date <= {day} AND (c.closed_on IS NULL OR c.closed_on > {day}))"


# The overdue balance at three days: each invoice past due then, less what was paid or credited by then (an
# invoice closed by then owes nothing: paid, written off or void); per currency, the largest today kept.
_OVERDUE = f"""
candidates AS MATERIALIZED (
    SELECT i.id, i.customer_id, i.currency, i.amount, i.issue_date, i.due_date, i.closed_on
    FROM scope s JOIN receivables.invoices i ON i.tenant_id = :tenant_id AND i.customer_id = s.id
    WHERE i.kind = 'invoice' AND i.due_date < CAST(:today AS date)
      AND (i.closed_on IS NULL OR i.closed_on > CAST(:today AS date) - {2 * GROWTH_STEP_DAYS})
),
settled AS (
    SELECT x.invoice_id,
           sum(x.amount) FILTER (WHERE x.on_day <= CAST(:today AS date)) AS paid_now,
           sum(x.amount) FILTER (WHERE x.on_day <= CAST(:today AS date) - {GROWTH_STEP_DAYS}) AS paid_between,
           sum(x.amount) FILTER (WHERE x.on_day <= CAST(:today AS date) - {2 * GROWTH_STEP_DAYS}) AS paid_before
    FROM (SELECT a.invoice_id, a.amount, a.payment_date AS on_day FROM candidates c
          JOIN receivables.payment_allocations a ON a.tenant_id = :tenant_id AND a.invoice_id = c.id
          WHERE a.reversed_at IS NULL
          UNION ALL
          SELECT k.invoice_id, k.amount, coalesce(k.applied_on, k.created_at::date) FROM candidates c
          JOIN receivables.credit_applications k ON k.tenant_id = :tenant_id AND k.invoice_id = c.id
          WHERE k.reversed_at IS NULL) x
    GROUP BY x.invoice_id
),
owed AS (
    SELECT c.customer_id, c.currency, c.amount, st.paid_now, st.paid_between, st.paid_before,
           {_overdue_on("CAST(:today AS date)")} AS at_now,
           {_overdue_on(f"CAST(:today AS date) - {GROWTH_STEP_DAYS}")} AS at_between,
           {_overdue_on(f"CAST(:today AS date) - {2 * GROWTH_STEP_DAYS}")} AS at_before
    FROM candidates c LEFT JOIN settled st ON st.invoice_id = c.id
),
overdue_at AS (
    SELECT customer_id, currency,
           coalesce(sum(amount - coalesce(paid_now, 0)) FILTER (WHERE at_now), 0) AS overdue_now,
           coalesce(sum(amount - coalesce(paid_between, 0)) FILTER (WHERE at_between), 0) AS overdue_between,
           coalesce(sum(amount - coalesce(paid_before, 0)) FILTER (WHERE at_before), 0) AS overdue_before
    FROM owed
    GROUP BY customer_id, currency
    HAVING bool_or(at_now OR at_between OR at_before)
),
overdue AS (
    SELECT DISTINCT ON (customer_id) customer_id, currency, overdue_now, overdue_between, overdue_before
    FROM overdue_at ORDER BY customer_id, overdue_now DESC, currency
)"""

# One row per customer in scope with every feature of ``rules.Features``.
FEATURES = f"""
{_SCOPE}, {_TREND}, {_SMALL_BEFORE_LARGE}, {_BROKEN}, {_BAD_CONTACTS}, {_OVERDUE},
features AS MATERIALIZED (
    SELECT s.id AS customer_id,
           coalesce(tr.recent_count, 0) AS recent_count, coalesce(tr.recent_days_late, 0) AS recent_days_late,
           coalesce(tr.earlier_count, 0) AS earlier_count, coalesce(tr.earlier_days_late, 0) AS earlier_days_late,
           coalesce(sm.small_before_large, 0) AS small_before_large, sm.small_paid_number, sm.large_open_number,
           coalesce(br.broken_promises, 0) AS broken_promises, br.last_broken_on,
           coalesce(bd.contacts, '{{}}') AS bad_contacts,
           ov.currency, coalesce(ov.overdue_before, 0) AS overdue_before,
           coalesce(ov.overdue_between, 0) AS overdue_between, coalesce(ov.overdue_now, 0) AS overdue_now
    FROM scope s
    LEFT JOIN trend tr ON tr.customer_id = s.id
    LEFT JOIN small_counts sm ON sm.customer_id = s.id
    LEFT JOIN broken br ON br.customer_id = s.id
    LEFT JOIN bad bd ON bd.customer_id = s.id
    LEFT JOIN overdue ov ON ov.customer_id = s.id
)"""

# ``rules.signs_of`` in SQL: each sign that fires, with its evidence and reason (``ord``: WarningSignKind's order);
# the evidence is built only for the signs that fire.
DECIDED = f"""
{FEATURES},
fired AS MATERIALIZED (
    SELECT f.customer_id, 1 AS ord, 'days_late_trend' AS sign,
           jsonb_build_object('recent_payments', f.recent_count,
                              'recent_avg_days_late', f.recent_days_late / f.recent_count,
                              'earlier_payments', f.earlier_count,
                              'earlier_avg_days_late', f.earlier_days_late / f.earlier_count) AS evidence,
           format('pays later than before: %s days late on the last %s payments against %s',
                  f.recent_days_late / f.recent_count, f.recent_count, f.earlier_days_late / f.earlier_count)
               AS reason
    FROM features f
    WHERE f.recent_count >= :recent_payments AND f.earlier_count > 0
      AND f.recent_days_late * f.earlier_count - f.earlier_days_late * f.recent_count
          >= :days_late_increase * f.recent_count * f.earlier_count
    UNION ALL
    SELECT f.customer_id, 2, 'small_before_large',
           jsonb_build_object('payments', f.small_before_large, 'window_days', {WINDOW_DAYS},
                              'latest_paid', f.small_paid_number, 'latest_left_open', f.large_open_number),
           format('paid %s smaller invoices before larger, older ones in {WINDOW_DAYS} days', f.small_before_large)
    FROM features f WHERE f.small_before_large >= :small_before_large
    UNION ALL
    SELECT f.customer_id, 3, 'broken_promises',
           jsonb_build_object('broken', f.broken_promises, 'window_days', {WINDOW_DAYS},
                              'last_broken_on', f.last_broken_on),
           format('broke %s promises in {WINDOW_DAYS} days', f.broken_promises)
    FROM features f WHERE f.broken_promises >= :broken_promises
    UNION ALL
    SELECT f.customer_id, 4, 'bad_contacts',
           jsonb_build_object('invalid', cardinality(f.bad_contacts), 'contacts', to_jsonb(f.bad_contacts)),
           format('%s contacts bounced or invalid', cardinality(f.bad_contacts))
    FROM features f WHERE cardinality(f.bad_contacts) >= :bad_contacts
    UNION ALL
    SELECT f.customer_id, 5, 'growing_overdue',
           jsonb_build_object('currency', f.currency, 'overdue_60_days_ago', f.overdue_before::text,
                              'overdue_30_days_ago', f.overdue_between::text, 'overdue_now', f.overdue_now::text),
           format('overdue balance growing: %s %s 60 days ago, %s 30 days ago, %s now',
                  f.overdue_before, f.currency, f.overdue_between, f.overdue_now)
    FROM features f
    WHERE f.overdue_before < f.overdue_between AND f.overdue_between < f.overdue_now
      AND f.overdue_now * 100 >= f.overdue_before * (100 + :overdue_growth_pct)
),
risk AS (
    SELECT s.id AS customer_id,
           CASE WHEN count(f.sign) >= :for_high_risk THEN 'high' WHEN count(f.sign) > 0 THEN 'medium' ELSE 'low'
           END AS level,
           coalesce(array_agg(f.reason ORDER BY f.ord) FILTER (WHERE f.sign IS NOT NULL), '{{}}')::varchar[]
               AS reasons
    FROM scope s LEFT JOIN fired f ON f.customer_id = s.id
    GROUP BY s.id
)"""

# The decisions are staged in two temporary tables (emptied at commit, kept by the pooled connection: no catalog
# churn per refresh) and analyzed before the writes read them: through CTEs the planner cannot count the features'
# aggregates, guesses millions of rows, and spills hash joins of a few thousand rows to disk (measured: 2 s of 3
# over 100k invoices).
_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS signs_fired (customer_id uuid, ord int, sign text, evidence jsonb, "
    "reason text) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS signs_risk (customer_id uuid, external_id text, collector_id uuid, "
    "level text, reasons varchar[]) ON COMMIT DELETE ROWS",
    "DELETE FROM signs_fired",  # an earlier refresh of this transaction (cheaper than TRUNCATE: a new file)
    "DELETE FROM signs_risk",
)
DECIDE = f"""
WITH {DECIDED},
staged AS (INSERT INTO signs_fired SELECT customer_id, ord, sign, evidence, reason FROM fired)
INSERT INTO signs_risk
SELECT s.id, s.external_id, s.collector_id, r.level, r.reasons FROM scope s JOIN risk r ON r.customer_id = s.id
"""

# The writes: upsert the signs still shown (their first day kept), delete the gone ones, set the computed risk
# where it changed (a new revision: the snapshot goes out), and announce the changed customers' whole state.
WRITE = f"""
WITH old AS MATERIALIZED (
    SELECT w.customer_id, w.sign, w.evidence, w.first_seen_on
    FROM receivables.warning_signs w JOIN signs_risk s ON s.customer_id = w.customer_id
    WHERE w.tenant_id = :tenant_id
),
diff AS MATERIALIZED (
    SELECT coalesce(f.customer_id, o.customer_id) AS customer_id, coalesce(f.sign, o.sign) AS sign,
           f.evidence AS evidence, o.evidence AS old_evidence
    FROM signs_fired f FULL JOIN old o ON o.customer_id = f.customer_id AND o.sign = f.sign
    WHERE f.evidence IS DISTINCT FROM o.evidence
),
upserted AS (
    INSERT INTO receivables.warning_signs (tenant_id, customer_id, sign, evidence, first_seen_on, refreshed_on)
    SELECT :tenant_id, f.customer_id, f.sign, f.evidence, CAST(:today AS date), CAST(:today AS date)
    FROM signs_fired f
    ON CONFLICT (tenant_id, customer_id, sign)
    DO UPDATE SET evidence = EXCLUDED.evidence, refreshed_on = EXCLUDED.refreshed_on
),
removed AS (
    DELETE FROM receivables.warning_signs w USING diff d
    WHERE w.tenant_id = :tenant_id AND w.customer_id = d.customer_id AND w.sign = d.sign AND d.evidence IS NULL
),
risk_changed AS (
    UPDATE receivables.customers c
    SET computed_risk_level = r.level, computed_risk_reasons = r.reasons, revision = c.revision + 1,
        updated_at = now()
    FROM signs_risk r
    WHERE c.tenant_id = :tenant_id AND c.id = r.customer_id
      AND (c.computed_risk_level IS DISTINCT FROM r.level OR c.computed_risk_reasons IS DISTINCT FROM r.reasons)
    RETURNING c.id
),
changed AS (SELECT customer_id FROM diff UNION SELECT id FROM risk_changed),
shown AS (
    SELECT f.customer_id,
           jsonb_agg(jsonb_build_object('sign', f.sign, 'evidence', f.evidence,
                                        'first_seen_on', coalesce(o.first_seen_on, CAST(:today AS date)))
                     ORDER BY f.ord) AS signs
    FROM signs_fired f LEFT JOIN old o ON o.customer_id = f.customer_id AND o.sign = f.sign
    GROUP BY f.customer_id
),
states AS (
    SELECT row_number() OVER (ORDER BY r.customer_id) AS n, jsonb_build_object(
        'customer_id', r.customer_id, 'customer_external_id', r.external_id, 'collector_id', r.collector_id,
        'computed_risk_level', r.level, 'computed_risk_reasons', to_jsonb(r.reasons),
        'signs', coalesce(sh.signs, '[]'::jsonb)) AS state
    FROM changed ch JOIN signs_risk r ON r.customer_id = ch.customer_id
    LEFT JOIN shown sh ON sh.customer_id = ch.customer_id
),
signs_events AS (
    INSERT INTO receivables.outbox {OUTBOX_COLUMNS}
    SELECT {
    outbox_select(
        WarningSignsChanged,
        "jsonb_build_object('day', CAST(:today AS date), 'customers', jsonb_agg(state ORDER BY n))",
        "CAST(:tenant_id AS uuid)",
    )
}
    FROM states GROUP BY (n - 1) / {EVENT_CHUNK}
),
numbered_risk AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM risk_changed),
customer_events AS (
    INSERT INTO receivables.outbox {OUTBOX_COLUMNS}
    SELECT {announce_customers_later("jsonb_agg(id ORDER BY n)", "CAST(:tenant_id AS uuid)")}
    FROM numbered_risk GROUP BY (n - 1) / {EVENT_CHUNK}
)
SELECT (SELECT count(*) FROM signs_risk) AS customers, (SELECT count(*) FROM changed) AS changed,
       (SELECT count(*) FROM risk_changed) AS risk_changed, (SELECT count(*) FROM signs_fired) AS signs
"""


# A refresh of this many customers or fewer (a payment's) writes without analyzing the staged decisions: the
# planner's guess for a table it never analyzed (a few thousand rows) is right enough there.
_FEW = 1000

# The planner cannot see through the features' aggregates and prices the statement in the trillions: JIT then
# spends seconds compiling what runs in a fraction of that (measured: 5 s of 10 s over 100k invoices).


@dataclass(frozen=True, slots=True)
class RefreshCounts:
    customers: int  # customers refreshed
    changed: int  # whose signs or computed risk changed (announced in WarningSignsChanged)
    risk_changed: int  # whose computed risk level or reasons changed (announced in CustomersChanged)
    signs: int  # signs shown after the refresh


def _params(tenant_id: uuid.UUID, today: date, thresholds: Thresholds, ids: list[uuid.UUID] | None) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "today": today,
        "ids": ids,
        "recent_payments": thresholds.recent_payments,
        "days_late_increase": thresholds.days_late_increase,
        "small_before_large": thresholds.small_before_large,
        "broken_promises": thresholds.broken_promises,
        "bad_contacts": thresholds.bad_contacts,
        "overdue_growth_pct": thresholds.overdue_growth_pct,
        "for_high_risk": thresholds.for_high_risk,
    }


async def load_thresholds(session: AsyncSession, tenant_id: uuid.UUID) -> Thresholds:
    """The tenant's thresholds, or the defaults while its row has not arrived."""
    t = Tenant.__table__.c
    columns = [t[f"signs_{f.name}"] for f in fields(Thresholds)]
    row = (await session.execute(select(*columns).where(t.tenant_id == tenant_id))).first()
    return Thresholds() if row is None else Thresholds(*row)


async def refresh(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    today: date,
    thresholds: Thresholds,
    customer_ids: list[uuid.UUID] | None = None,
) -> RefreshCounts:
    """Refresh the signs and computed risk of the tenant's customers (all, or ``customer_ids``) as of ``today``,
    and write the events of what changed, in the caller's transaction: the decisions staged (one statement), then
    the writes (one statement)."""
    await set_local(session, jit="off")
    for statement in _STAGING:
        await session.execute(text(statement))
    params = _params(tenant_id, today, thresholds, customer_ids)
    await session.execute(text(DECIDE), params)
    if customer_ids is None or len(customer_ids) > _FEW:
        await session.execute(text("ANALYZE signs_fired, signs_risk"))
    row = (await session.execute(text(WRITE), {"tenant_id": tenant_id, "today": today})).one()
    return RefreshCounts(row.customers, row.changed, row.risk_changed, row.signs)


async def features(
    session: AsyncSession, tenant_id: uuid.UUID, today: date, thresholds: Thresholds
) -> dict[uuid.UUID, Features]:
    """Every customer's features as the refresh computes them (for the agreement test and for diagnosis)."""
    await set_local(session, jit="off")
    result = await session.execute(
        text(f"WITH {FEATURES} SELECT * FROM features"), _params(tenant_id, today, thresholds, None)
    )
    return {
        row["customer_id"]: Features(**{k: v for k, v in row.items() if k != "customer_id"})
        for row in result.mappings()
    }


# --- reads (the API): a customer's signs with the computed risk, and the customers showing signs

_SIGN_ORDER = "ARRAY[" + ", ".join(f"'{kind.value}'" for kind in WarningSignKind) + "]::text[]"
_CUSTOMER_SIGNS = f"""
    SELECT c.id AS customer_id, c.external_id, c.name, c.collector_id, c.risk_level, c.computed_risk_level,
           c.computed_risk_reasons,
           coalesce((SELECT jsonb_agg(jsonb_build_object('sign', w.sign, 'evidence', w.evidence,
                                                         'first_seen_on', w.first_seen_on,
                                                         'refreshed_on', w.refreshed_on)
                                      ORDER BY array_position({_SIGN_ORDER}, CAST(w.sign AS text)))
                     FROM receivables.warning_signs w
                     WHERE w.tenant_id = c.tenant_id AND w.customer_id = c.id), '[]'::jsonb) AS signs
    FROM receivables.customers c
    WHERE c.tenant_id = :tenant_id AND NOT c.deleted"""


async def customer_signs(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> CustomerSignsOut | None:
    result = await session.execute(
        text(f"{_CUSTOMER_SIGNS} AND c.id = :customer_id"), {"tenant_id": tenant_id, "customer_id": customer_id}
    )
    row = result.mappings().first()
    return None if row is None else CustomerSignsOut.model_validate(dict(row))


async def list_customer_signs(
    session: AsyncSession, tenant_id: uuid.UUID, filters: WarningSignFilters, *, limit: int, after: uuid.UUID | None
) -> list[CustomerSignsOut]:
    """The customers showing at least one sign (``filters.sign``: that one), in id order, from ``after`` on."""
    where = [
        "EXISTS (SELECT 1 FROM receivables.warning_signs w WHERE w.tenant_id = c.tenant_id AND w.customer_id = c.id"
        + (" AND w.sign = :sign)" if filters.sign else ")")
    ]
    if filters.collector_id:
        where.append("c.collector_id = :collector_id")
    if filters.computed_risk_level:
        where.append("c.computed_risk_level = :level")
    if after:
        where.append("c.id > :after")
    params = {
        "tenant_id": tenant_id,
        "sign": filters.sign.value if filters.sign else None,
        "collector_id": filters.collector_id,
        "level": filters.computed_risk_level.value if filters.computed_risk_level else None,
        "after": after,
        "limit": limit + 1,
    }
    sql = f"{_CUSTOMER_SIGNS} AND {' AND '.join(where)} ORDER BY c.id LIMIT :limit"
    used = {k: v for k, v in params.items() if f":{k}" in sql}
    return [CustomerSignsOut.model_validate(dict(row)) for row in (await session.execute(text(sql), used)).mappings()]
