"""The worklist's SQL: one statement gathers every fact of the customers in scope (a collector's, a team's, the
tenant's), scores them with ``rules.score_sql`` and pages by score; the same statement counts a team's lists.

Each fact is an aggregate per customer over the customers in scope, joined once: overdue invoices in status normal
per currency (the best currency's share), recent broken promises on invoices still owed and not followed up by a
personal contact since (the day it broke counts as not followed up), promises due today or
tomorrow, open tasks due, replies and portal actions after the last personal contact (an outcome not recorded by a
``service:``), warning signs, bounced contacts. A personal contact on the tenant's today takes the customer off.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.worklist import rules
from shared.contracts.common import OPEN_STATUSES
from shared.db import set_local

OPEN = "(" + ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES)) + ")"
PORTAL = "service:portal"


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose customers: one collector's, some collectors' (a team), or the whole tenant's (``everyone``)."""

    collector_ids: tuple[uuid.UUID, ...] = ()
    everyone: bool = False

    def where(self) -> str:
        return "" if self.everyone else " AND c.collector_id = ANY(CAST(:collector_ids AS uuid[]))"


@dataclass(frozen=True, slots=True)
class Day:
    """The tenant's today and the instant its day began (a contact since then is today's)."""

    today: date
    day_start: datetime
    timezone: str


def _facts_sql(scope: Scope, weights: rules.Weights) -> str:
    """The CTEs up to ``scored``: the customers on today's list with their facts and score."""
    return f"""
WITH scope AS MATERIALIZED (
    SELECT c.id, c.external_id, c.name, c.collector_id, c.contacts, c.opted_out_channels
    FROM receivables.customers c
    WHERE c.tenant_id = :tenant_id AND NOT c.deleted{scope.where()}
),
contact AS (
    SELECT o.customer_id, max(o.occurred_at) AS at,
           (array_agg(o.excuse ORDER BY o.occurred_at DESC) FILTER (WHERE o.excuse IS NOT NULL))[1] AS excuse
    FROM receivables.outcomes o JOIN scope s ON s.id = o.customer_id
    WHERE o.tenant_id = :tenant_id AND o.recorded_by NOT LIKE 'service:%'
    GROUP BY 1
),
overdue AS (
    SELECT i.customer_id, s.collector_id, i.currency, sum(i.open_amount) AS amount, count(*) AS invoices,
           max(CAST(:today AS date) - i.due_date) AS oldest,
           sum(i.open_amount * (CAST(:today AS date) - i.due_date)) AS amount_days
    FROM receivables.invoices i JOIN scope s ON s.id = i.customer_id
    WHERE i.tenant_id = :tenant_id AND i.status = 'normal' AND i.kind <> 'credit_note' AND i.open_amount > 0
          AND i.due_date < :today
    GROUP BY 1, 2, 3
),
ranked AS (
    SELECT DISTINCT ON (customer_id) customer_id, currency, amount, invoices, oldest, share
    FROM (
        SELECT o.*, round(CAST(cume_dist() OVER (PARTITION BY o.collector_id, o.currency ORDER BY o.amount_days)
                               AS numeric), 4) AS share
        FROM overdue o
    ) shares
    ORDER BY customer_id, share DESC, amount_days DESC
),
broken AS (
    SELECT p.customer_id, count(*) AS n,
           (array_agg(jsonb_build_object('promised_date', p.promised_date, 'amount', CAST(p.amount AS text),
                                         'currency', p.currency, 'resolved_on', p.resolved_on)
                      ORDER BY p.resolved_on DESC, p.promised_date DESC))[1] AS last
    FROM receivables.promises p JOIN scope s ON s.id = p.customer_id
    JOIN receivables.invoices i ON i.tenant_id = p.tenant_id AND i.id = p.invoice_id
    LEFT JOIN contact k ON k.customer_id = p.customer_id
    WHERE p.tenant_id = :tenant_id AND p.status = 'broken' AND p.resolved_on >= :broken_since
          AND i.status IN {OPEN} AND i.open_amount > 0
          AND (k.at IS NULL OR p.resolved_on >= CAST(k.at AT TIME ZONE :tz AS date))
    GROUP BY 1
),
due AS (
    SELECT p.customer_id, count(*) AS n,
           (array_agg(jsonb_build_object('promised_date', p.promised_date, 'amount', CAST(p.amount AS text),
                                         'currency', p.currency)
                      ORDER BY p.promised_date, p.amount DESC))[1] AS next
    FROM receivables.promises p JOIN scope s ON s.id = p.customer_id
    WHERE p.tenant_id = :tenant_id AND p.status = 'open' AND p.promised_date BETWEEN :today AND :tomorrow
    GROUP BY 1
),
tasks AS (
    SELECT t.customer_id, count(*) AS n, min(t.due_date) AS oldest,
           (array_agg(t.title ORDER BY t.due_date, t.id))[1] AS title
    FROM receivables.tasks t JOIN scope s ON s.id = t.customer_id
    WHERE t.tenant_id = :tenant_id AND t.status = 'open' AND t.due_date <= :today
    GROUP BY 1
),
replies AS (
    SELECT e.customer_id, count(*) AS n,
           (array_agg(e.data ->> 'channel' ORDER BY e.occurred_at DESC))[1] AS channel,
           (array_agg(e.data ->> 'text' ORDER BY e.occurred_at DESC))[1] AS said
    FROM receivables.timeline_entries e JOIN scope s ON s.id = e.customer_id
    LEFT JOIN contact k ON k.customer_id = e.customer_id
    WHERE e.tenant_id = :tenant_id AND e.kind = 'reply_received'
          AND coalesce(e.data ->> 'opt_out', 'false') <> 'true' AND (k.at IS NULL OR e.occurred_at > k.at)
    GROUP BY 1
),
portal AS (
    SELECT a.customer_id, count(*) AS n, (array_agg(a.what ORDER BY a.at DESC))[1] AS last
    FROM (
        SELECT o.customer_id, o.occurred_at AS at, 'outcome ' || o.kind AS what
        FROM receivables.outcomes o JOIN scope s ON s.id = o.customer_id
        WHERE o.tenant_id = :tenant_id AND (o.recorded_by = :portal OR o.channel = 'portal')
        UNION ALL
        SELECT t.customer_id, t.occurred_at, 'task \u201c' || t.title || '\u201d'
        FROM receivables.tasks t JOIN scope s ON s.id = t.customer_id
        WHERE t.tenant_id = :tenant_id AND t.created_by = :portal AND t.status = 'open'
    ) a LEFT JOIN contact k ON k.customer_id = a.customer_id
    WHERE k.at IS NULL OR a.at > k.at
    GROUP BY 1
),
signs AS (
    SELECT w.customer_id, array_agg(w.sign ORDER BY w.sign) AS signs
    FROM receivables.warning_signs w JOIN scope s ON s.id = w.customer_id
    WHERE w.tenant_id = :tenant_id
    GROUP BY 1
),
features AS (
    SELECT s.id, s.external_id, s.name, s.collector_id, s.contacts, s.opted_out_channels,
           r.currency AS overdue_currency, r.amount AS overdue_amount, coalesce(r.invoices, 0) AS overdue_invoices,
           r.oldest AS overdue_oldest_days, r.share AS overdue_share,
           coalesce(b.n, 0) AS broken_promises, b.last AS last_broken,
           coalesce(d.n, 0) AS promises_due, d.next AS next_promise,
           coalesce(t.n, 0) AS tasks_due, t.oldest AS oldest_task_due, t.title AS oldest_task_title,
           coalesce(y.n, 0) AS replies_waiting, y.channel AS last_reply_channel, y.said AS last_reply_text,
           coalesce(p.n, 0) AS portal_actions, p.last AS last_portal_action,
           jsonb_path_exists(s.contacts, '$[*] ? (@.invalid == true)') AS bounced,
           coalesce(g.signs, '{{}}') AS signs,
           k.at AS last_contact_at, CAST(k.at AT TIME ZONE :tz AS date) AS last_contact_on, k.excuse AS last_excuse
    FROM scope s
    LEFT JOIN contact k ON k.customer_id = s.id
    LEFT JOIN ranked r ON r.customer_id = s.id
    LEFT JOIN broken b ON b.customer_id = s.id
    LEFT JOIN due d ON d.customer_id = s.id
    LEFT JOIN tasks t ON t.customer_id = s.id
    LEFT JOIN replies y ON y.customer_id = s.id
    LEFT JOIN portal p ON p.customer_id = s.id
    LEFT JOIN signs g ON g.customer_id = s.id
    WHERE k.at IS NULL OR k.at < :day_start
),
scored AS (
    SELECT *, {rules.score_sql(weights)} AS score FROM features WHERE {rules.ON_LIST_SQL}
)"""


# Measured on 1M invoices / 200k customers (bench/worklist.py): the statement's estimates are large, so PostgreSQL
# compiles it (JIT), which took 1.5 s of a collector's 1.8 s and saves nothing on a few thousand rows; and one
# collector's customers (a few thousand) are read fastest by index probes, which the default cost of a random read
# overprices for a portfolio the cache holds (0.5 s at the default, 0.25 s priced as cached reads); a team's
# (hundreds of thousands) is read fastest by the scans the default chooses.
CACHED_RANDOM_PAGE_COST = 1.1


async def _plan_for(session: AsyncSession, scope: Scope) -> None:
    """This transaction's planner settings for the worklist's statement (measured above)."""
    if not scope.everyone and len(scope.collector_ids) == 1:
        await set_local(session, jit="off", random_page_cost=CACHED_RANDOM_PAGE_COST)
    else:
        await set_local(session, jit="off")


def _params(tenant_id: uuid.UUID, scope: Scope, day: Day) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "collector_ids": list(scope.collector_ids),
        "today": day.today,
        "tomorrow": day.today + timedelta(days=1),
        "broken_since": day.today - timedelta(days=rules.BROKEN_PROMISE_DAYS),
        "day_start": day.day_start,
        "tz": day.timezone,
        "portal": PORTAL,
    }


async def worklist_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    scope: Scope,
    day: Day,
    weights: rules.Weights,
    limit: int,
    after: tuple[Decimal, uuid.UUID] | None,
) -> list[dict[str, Any]]:
    """``limit + 1`` customers of today's list, best score first (then by id), after the cursor's one."""
    keyset = "" if after is None else "WHERE score < :after_score OR (score = :after_score AND id > :after_id)"
    query = f"{_facts_sql(scope, weights)} SELECT * FROM scored {keyset} ORDER BY score DESC, id LIMIT :limit"
    params = _params(tenant_id, scope, day) | {"limit": limit + 1}
    if after is not None:
        params |= {"after_score": after[0], "after_id": after[1]}
    await _plan_for(session, scope)
    return [dict(row) for row in (await session.execute(text(query), params)).mappings()]


async def list_sizes(
    session: AsyncSession, tenant_id: uuid.UUID, scope: Scope, day: Day, weights: rules.Weights
) -> dict[uuid.UUID | None, int]:
    """How many customers are on each collector's list today."""
    query = f"{_facts_sql(scope, weights)} SELECT collector_id, count(*) AS n FROM scored GROUP BY 1"
    await _plan_for(session, scope)
    rows = await session.execute(text(query), _params(tenant_id, scope, day))
    return {row.collector_id: row.n for row in rows}


async def team_of(session: AsyncSession, tenant_id: uuid.UUID, supervisor_user_id: uuid.UUID) -> list[uuid.UUID]:
    """The collectors a supervisor supervises: users whose staff profile names, as its supervisor, the person whose
    user is the supervisor (``people``: kind staff, ``supervisor_id``; the supervisor's ``user_id``)."""
    query = text(
        "SELECT st.user_id FROM receivables.people st "
        "JOIN receivables.people sup ON sup.tenant_id = st.tenant_id AND sup.id = st.supervisor_id "
        "WHERE st.tenant_id = :tenant_id AND sup.user_id = :user_id AND st.kind = 'staff' AND st.active "
        "AND st.user_id IS NOT NULL ORDER BY st.user_id"
    )
    return list((await session.execute(query, {"tenant_id": tenant_id, "user_id": supervisor_user_id})).scalars())


async def collectors(session: AsyncSession, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """Every active user with the collector role."""
    query = text(
        "SELECT user_id FROM receivables.users WHERE tenant_id = :tenant_id AND active "
        "AND 'collector' = ANY(roles) ORDER BY user_id"
    )
    return list((await session.execute(query, {"tenant_id": tenant_id})).scalars())
