"""The supervisor's figures per collector: one statement over the period (contacts, promises, excuses, tasks); the
worklist sizes come from the worklist's own statement (``worklist.repository.list_sizes``)."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The period's days on the tenant's calendar: from ``date_from``'s midnight to the one after ``date_to``.
START = "(CAST(:date_from AS date)::timestamp AT TIME ZONE :tz)"
END = "((CAST(:date_to AS date) + 1)::timestamp AT TIME ZONE :tz)"

FIGURES = f"""
WITH team AS (SELECT DISTINCT unnest(CAST(:ids AS uuid[])) AS user_id),
contacts AS (
    SELECT o.recorded_by_user_id AS user_id, count(*) AS n, count(DISTINCT o.customer_id) AS customers
    FROM receivables.outcomes o JOIN team ON team.user_id = o.recorded_by_user_id
    WHERE o.tenant_id = :tenant_id AND o.occurred_at >= {START} AND o.occurred_at < {END}
    GROUP BY 1
),
excuses AS (
    SELECT user_id, jsonb_object_agg(excuse, n) AS by_reason FROM (
        SELECT o.recorded_by_user_id AS user_id, o.excuse, count(*) AS n
        FROM receivables.outcomes o JOIN team ON team.user_id = o.recorded_by_user_id
        WHERE o.tenant_id = :tenant_id AND o.excuse IS NOT NULL
              AND o.occurred_at >= {START} AND o.occurred_at < {END}
        GROUP BY 1, 2
    ) counted GROUP BY 1
),
promises AS (
    SELECT team.user_id,
           count(*) FILTER (WHERE p.occurred_at >= {START} AND p.occurred_at < {END}) AS obtained,
           count(*) FILTER (WHERE p.status = 'kept' AND p.resolved_on BETWEEN :date_from AND :date_to) AS kept,
           count(*) FILTER (WHERE p.status = 'broken' AND p.resolved_on BETWEEN :date_from AND :date_to) AS broken
    FROM receivables.promises p JOIN team ON p.created_by = 'user:' || team.user_id
    WHERE p.tenant_id = :tenant_id
    GROUP BY 1
),
tasks AS (
    SELECT t.assignee_id AS user_id, count(*) AS open, count(*) FILTER (WHERE t.due_date < :today) AS overdue
    FROM receivables.tasks t JOIN team ON team.user_id = t.assignee_id
    WHERE t.tenant_id = :tenant_id AND t.status = 'open'
    GROUP BY 1
),
customers AS (
    SELECT c.collector_id AS user_id, count(*) AS n
    FROM receivables.customers c JOIN team ON team.user_id = c.collector_id
    WHERE c.tenant_id = :tenant_id AND NOT c.deleted
    GROUP BY 1
)
SELECT team.user_id, u.full_name AS name, coalesce(cu.n, 0) AS customers,
       coalesce(k.n, 0) AS contacts, coalesce(k.customers, 0) AS customers_contacted,
       coalesce(p.obtained, 0) AS promises_obtained, coalesce(p.kept, 0) AS promises_kept,
       coalesce(p.broken, 0) AS promises_broken, coalesce(e.by_reason, '{{}}') AS excuses,
       coalesce(t.open, 0) AS tasks_open, coalesce(t.overdue, 0) AS tasks_overdue
FROM team
LEFT JOIN receivables.users u ON u.tenant_id = :tenant_id AND u.user_id = team.user_id
LEFT JOIN customers cu ON cu.user_id = team.user_id
LEFT JOIN contacts k ON k.user_id = team.user_id
LEFT JOIN excuses e ON e.user_id = team.user_id
LEFT JOIN promises p ON p.user_id = team.user_id
LEFT JOIN tasks t ON t.user_id = team.user_id
"""


@dataclass(frozen=True, slots=True)
class Period:
    date_from: date
    date_to: date
    today: date
    timezone: str


async def figures(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: list[uuid.UUID], period: Period
) -> list[dict[str, Any]]:
    """Each collector's period figures and open tasks, one row per user id given."""
    params = {
        "tenant_id": tenant_id,
        "ids": user_ids,
        "date_from": period.date_from,
        "date_to": period.date_to,
        "today": period.today,
        "tz": period.timezone,
    }
    return [dict(row) for row in (await session.execute(text(FIGURES), params)).mappings()]
