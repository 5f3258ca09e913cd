"""The selection of issue 18's alarms (the manager's alarms of seed 004, "El cobrador esta sobrecargado y nadie se
detiene a observar su labor", and the collectors' weekly warning signs of seed 001): one statement per alarm over
the whole portfolio, on the frame of ``selection_repository`` (each defines ``r``, one row per digest row with its
recipient key and sort keys, and ``money``), which groups, stages and answers them. The predicates are ``rules``'
(``overdue``, ``task_overdue``, ``above_spread``, ``threshold_crossed``, ``below_plan``); the crossings of the
overdue threshold already told are kept here (``record_threshold_crossings``)."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.digests import rules
from alarms_service.tenant_settings.rules import Alarm, AlarmSchedule
from shared.calendar import BusinessCalendar

OWED = f"i.status IN {tuple(rules.OWED_STATUSES)} AND i.open_amount > 0"

# Rows that add up no money (tasks, collectors, contacts, signs): their digests carry no totals.
_NO_MONEY = """, money AS (
    SELECT NULL::text AS audience, NULL::uuid AS key, NULL::text AS problem, NULL::text AS currency,
           NULL::numeric AS amount WHERE false
)"""
# Whom the manager's digests go to: the tenant's active managers; a tenant without one, its active admins.
MANAGERS = """managers AS (
    SELECT u.user_id FROM alarms.users u
    WHERE u.tenant_id = CAST(:tenant AS uuid) AND u.active AND ('manager' = ANY(u.roles) OR ('admin' = ANY(u.roles)
          AND NOT EXISTS (SELECT 1 FROM alarms.users m WHERE m.tenant_id = u.tenant_id AND m.active
                          AND 'manager' = ANY(m.roles))))
)"""
_TO_MANAGER = "'manager' AS audience, mg.user_id AS key, CASE WHEN mg.user_id IS NULL THEN 'no_manager' END AS problem"
# Overdue: owed and due before the day the alarm looks at (``rules.overdue``), per customer and currency.
_OVERDUE = f"""overdue AS MATERIALIZED (
    SELECT i.customer_id, i.currency, sum(i.open_amount) AS amount, count(*) AS invoices, min(i.due_date) AS oldest_due
    FROM alarms.invoices i
    WHERE i.tenant_id = CAST(:tenant AS uuid) AND {OWED} AND i.due_date < CAST(:as_of AS date)
    GROUP BY i.customer_id, i.currency
)"""

TASKS_OVERDUE = (
    """
WITH r AS MATERIALIZED (
    SELECT 'assignee' AS audience, t.assignee_id AS key,
           CASE WHEN t.assignee_id IS NULL THEN 'no_assignee' END AS problem, t.customer_id, NULL::text AS area,
           json_build_object(
               'task_id', t.id, 'title', t.title, 'customer_id', t.customer_id, 'customer_name', c.name,
               'customer_external_id', c.external_id, 'due_date', t.due_date,
               'days_overdue', CAST(:as_of AS date) - t.due_date) AS doc,
           t.due_date AS s1, coalesce(c.name, '') COLLATE "C" AS s2, t.title COLLATE "C" AS s3, t.id::text AS s4,
           NULL::text AS s5
    FROM alarms.tasks t
    LEFT JOIN alarms.customers c ON c.tenant_id = t.tenant_id AND c.id = t.customer_id
    WHERE t.tenant_id = CAST(:tenant AS uuid) AND t.status = 'open' AND t.due_date < CAST(:as_of AS date)
      AND NOT coalesce(c.deleted, false)
)"""
    + _NO_MONEY
)

UNASSIGNED_CUSTOMERS = f"""
WITH {_OVERDUE}, {MANAGERS}, per_customer AS (
    SELECT o.customer_id, c.name, c.external_id, min(o.oldest_due) AS oldest_due, sum(o.invoices) AS invoices,
           json_object_agg(o.currency, o.amount::text ORDER BY o.currency) AS totals
    FROM overdue o
    JOIN alarms.customers c ON c.tenant_id = CAST(:tenant AS uuid) AND c.id = o.customer_id
    WHERE c.collector_id IS NULL AND NOT c.deleted
    GROUP BY o.customer_id, c.name, c.external_id
), r AS (
    SELECT {_TO_MANAGER}, pc.customer_id, NULL::text AS area,
           json_build_object(
               'customer_id', pc.customer_id, 'customer_name', pc.name, 'customer_external_id', pc.external_id,
               'oldest_due_date', pc.oldest_due, 'days_overdue', CAST(:as_of AS date) - pc.oldest_due,
               'invoices', pc.invoices, 'overdue_totals', pc.totals) AS doc,
           pc.oldest_due AS s1, coalesce(pc.name, '') COLLATE "C" AS s2, pc.customer_id::text AS s3,
           NULL::text AS s4, NULL::text AS s5
    FROM per_customer pc LEFT JOIN managers mg ON true
), money AS (
    SELECT {_TO_MANAGER}, o.currency, o.amount
    FROM overdue o JOIN per_customer pc ON pc.customer_id = o.customer_id LEFT JOIN managers mg ON true
)"""

# The team: every active collector and everyone customers are assigned to (an idle collector lowers the mean too).
# A collector is listed when their overdue customers, or their overdue amount in some currency, is above the
# team's mean by more than ``spread`` percent (``rules.above_spread``: compared in integers and exact decimals,
# value x 100 x team size against the team's total x (100 + spread), never through a rounded mean).
WORKLOAD = f"""
WITH {_OVERDUE}, {MANAGERS}, members AS (
    SELECT c.collector_id FROM alarms.customers c
    WHERE c.tenant_id = CAST(:tenant AS uuid) AND c.collector_id IS NOT NULL AND NOT c.deleted
    UNION
    SELECT u.user_id FROM alarms.users u
    WHERE u.tenant_id = CAST(:tenant AS uuid) AND u.active AND 'collector' = ANY(u.roles)
), assigned AS MATERIALIZED (
    SELECT c.collector_id, o.customer_id, o.currency, o.amount
    FROM overdue o
    JOIN alarms.customers c ON c.tenant_id = CAST(:tenant AS uuid) AND c.id = o.customer_id
    WHERE c.collector_id IS NOT NULL AND NOT c.deleted
), per_collector AS (
    SELECT t.collector_id, count(DISTINCT a.customer_id) AS customers
    FROM members t LEFT JOIN assigned a ON a.collector_id = t.collector_id GROUP BY t.collector_id
), amounts AS (
    SELECT collector_id, currency, sum(amount) AS amount FROM assigned GROUP BY collector_id, currency
), team_totals AS (
    SELECT a.currency, sum(a.amount) AS total FROM amounts a GROUP BY a.currency
), team AS MATERIALIZED (
    SELECT (SELECT count(*) FROM per_collector) AS n, (SELECT sum(customers) FROM per_collector) AS customers
), above AS (
    SELECT p.collector_id, p.customers, tm.customers / tm.n AS mean_customers,
           p.customers * 100 * tm.n > tm.customers * (100 + CAST(:spread AS int)) AS over_customers,
           coalesce((SELECT json_object_agg(a.currency, a.amount::text ORDER BY a.currency)
                     FROM amounts a WHERE a.collector_id = p.collector_id), '{{}}'::json) AS totals,
           coalesce((SELECT json_object_agg(t.currency, round(t.total / tm.n, 2)::text ORDER BY t.currency)
                     FROM team_totals t), '{{}}'::json) AS mean_totals,
           coalesce((SELECT array_agg(a.currency ORDER BY a.currency) FROM amounts a JOIN team_totals t USING (currency)
                     WHERE a.collector_id = p.collector_id
                       AND a.amount * 100 * tm.n > t.total * (100 + CAST(:spread AS int))), '{{}}') AS over_currencies,
           greatest(p.customers * tm.n / nullif(tm.customers, 0),
                    (SELECT max(a.amount * tm.n / nullif(t.total, 0)) FROM amounts a JOIN team_totals t USING (currency)
                     WHERE a.collector_id = p.collector_id)) AS ratio
    FROM per_collector p CROSS JOIN team tm
), flagged AS (
    SELECT ab.*, u.full_name FROM above ab
    LEFT JOIN alarms.users u ON u.tenant_id = CAST(:tenant AS uuid) AND u.user_id = ab.collector_id
    WHERE ab.over_customers OR cardinality(ab.over_currencies) > 0
), r AS (
    SELECT {_TO_MANAGER}, NULL::uuid AS customer_id, NULL::text AS area,
           json_build_object(
               'collector_id', f.collector_id, 'collector_name', f.full_name, 'overdue_customers', f.customers,
               'team_mean_customers', round(f.mean_customers, 1)::text, 'overdue_totals', f.totals,
               'team_mean_totals', f.mean_totals, 'over_customers', f.over_customers,
               'over_currencies', to_json(f.over_currencies),
               'percent_of_mean', round(coalesce(f.ratio, 0) * 100)::int) AS doc,
           -coalesce(f.ratio, 0) AS s1, coalesce(f.full_name, '') COLLATE "C" AS s2, f.collector_id::text AS s3,
           NULL::text AS s4, NULL::text AS s5
    FROM flagged f LEFT JOIN managers mg ON true
)"""
WORKLOAD += _NO_MONEY

# Customers whose overdue total in a currency reaches the tenant's threshold for it and were not told yet
# (``alarms.threshold_crossings``, kept by ``record_threshold_crossings``): to their collector and the managers.
_OVER_THRESHOLD = f"""thresholds AS (
    SELECT * FROM unnest(CAST(:currencies AS text[]), CAST(:limits AS numeric[])) AS t(currency, threshold)
), over AS MATERIALIZED (
    SELECT i.customer_id, i.currency, t.threshold, sum(i.open_amount) AS amount, count(*) AS invoices,
           min(i.due_date) AS oldest_due
    FROM alarms.invoices i JOIN thresholds t ON t.currency = i.currency
    WHERE i.tenant_id = CAST(:tenant AS uuid) AND {OWED} AND i.due_date < CAST(:as_of AS date)
    GROUP BY i.customer_id, i.currency, t.threshold
    HAVING sum(i.open_amount) >= t.threshold
)"""
OVERDUE_THRESHOLD = f"""
WITH {_OVER_THRESHOLD}, {MANAGERS}, crossed AS MATERIALIZED (
    SELECT o.customer_id, o.currency, o.amount, c.collector_id, u.full_name AS collector_name,
           json_build_object(
               'customer_id', o.customer_id, 'customer_name', c.name, 'customer_external_id', c.external_id,
               'collector_id', c.collector_id, 'collector_name', u.full_name, 'currency', o.currency,
               'overdue_amount', o.amount::text, 'threshold', o.threshold::text, 'invoices', o.invoices,
               'oldest_due_date', o.oldest_due) AS doc,
           o.currency AS s1, -o.amount AS s2, coalesce(c.name, '') COLLATE "C" AS s3, o.customer_id::text AS s4
    FROM over o
    JOIN alarms.customers c ON c.tenant_id = CAST(:tenant AS uuid) AND c.id = o.customer_id AND NOT c.deleted
    LEFT JOIN alarms.users u ON u.tenant_id = c.tenant_id AND u.user_id = c.collector_id
    WHERE NOT EXISTS (SELECT 1 FROM alarms.threshold_crossings x WHERE x.tenant_id = CAST(:tenant AS uuid)
                      AND x.customer_id = o.customer_id AND x.currency = o.currency)
), r AS (
    SELECT 'collector' AS audience, collector_id AS key,
           CASE WHEN collector_id IS NULL THEN 'no_collector' END AS problem, customer_id, NULL::text AS area, doc,
           s1, s2, s3, s4, NULL::text AS s5, currency, amount
    FROM crossed
    UNION ALL
    SELECT {_TO_MANAGER}, customer_id, NULL::text, doc, s1, s2, s3, s4, NULL::text, currency, amount
    FROM crossed LEFT JOIN managers mg ON true
), money AS (
    SELECT audience, key, problem, currency, amount FROM r
)"""

# The contacts each active collector made in the week before the digest's (local dates ``since`` to ``until``,
# exclusive), against the plan: ``planned`` (contacts per day x that week's business days).
CONTACT_RATE = (
    f"""
WITH {MANAGERS}, made AS (
    SELECT k.user_id, count(*) AS contacts
    FROM alarms.contacts k
    WHERE k.tenant_id = CAST(:tenant AS uuid)
      AND k.contacted_at >= CAST(:since AS date)::timestamp AT TIME ZONE CAST(:tz AS text)
      AND k.contacted_at < CAST(:until AS date)::timestamp AT TIME ZONE CAST(:tz AS text)
    GROUP BY k.user_id
), short AS (
    SELECT u.user_id, u.full_name, coalesce(m.contacts, 0) AS contacts
    FROM alarms.users u LEFT JOIN made m ON m.user_id = u.user_id
    WHERE u.tenant_id = CAST(:tenant AS uuid) AND u.active AND 'collector' = ANY(u.roles)
      AND coalesce(m.contacts, 0) < CAST(:planned AS int)
), r AS (
    SELECT {_TO_MANAGER}, NULL::uuid AS customer_id, NULL::text AS area,
           json_build_object(
               'collector_id', s.user_id, 'collector_name', s.full_name, 'contacts', s.contacts,
               'planned', CAST(:planned AS int), 'business_days', CAST(:business_days AS int),
               'week_from', CAST(:since AS date), 'week_to', CAST(:until AS date) - 1,
               'percent_of_plan', (100 * s.contacts / CAST(:planned AS int))) AS doc,
           s.contacts AS s1, s.full_name COLLATE "C" AS s2, s.user_id::text AS s3, NULL::text AS s4,
           NULL::text AS s5
    FROM short s LEFT JOIN managers mg ON true
)"""
    + _NO_MONEY
)

# Each collector's customers with warning signs (seed 001) as receivables last announced them, riskiest first.
WARNING_SIGNS = (
    """
WITH r AS (
    SELECT 'collector' AS audience, coalesce(c.collector_id, s.collector_id) AS key,
           CASE WHEN coalesce(c.collector_id, s.collector_id) IS NULL THEN 'no_collector' END AS problem,
           s.customer_id, NULL::text AS area,
           json_build_object(
               'customer_id', s.customer_id, 'customer_name', c.name, 'customer_external_id', c.external_id,
               'risk_level', s.risk_level, 'risk_reasons', to_json(s.risk_reasons), 'signs', s.signs,
               'refreshed_on', s.day) AS doc,
           CASE s.risk_level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END AS s1,
           -jsonb_array_length(s.signs) AS s2, coalesce(c.name, '') COLLATE "C" AS s3, s.customer_id::text AS s4,
           NULL::text AS s5
    FROM alarms.customer_signs s
    LEFT JOIN alarms.customers c ON c.tenant_id = s.tenant_id AND c.id = s.customer_id
    WHERE s.tenant_id = CAST(:tenant AS uuid) AND jsonb_array_length(s.signs) > 0
      AND s.day <= CAST(:as_of AS date) AND NOT coalesce(c.deleted, false)
)"""
    + _NO_MONEY
)

SELECTIONS = {
    Alarm.TASKS_OVERDUE: TASKS_OVERDUE,
    Alarm.UNASSIGNED_CUSTOMERS: UNASSIGNED_CUSTOMERS,
    Alarm.WORKLOAD: WORKLOAD,
    Alarm.OVERDUE_THRESHOLD: OVERDUE_THRESHOLD,
    Alarm.CONTACT_RATE: CONTACT_RATE,
    Alarm.WARNING_SIGNS: WARNING_SIGNS,
}


def parameters(
    alarm: Alarm, schedule: AlarmSchedule, *, as_of: date, timezone: str | None, business: BusinessCalendar
) -> dict[str, Any]:
    """What the statements of issue 18's alarms need beyond the tenant and the day."""
    if alarm is Alarm.WORKLOAD:
        return {"spread": schedule.spread_percent}
    if alarm is Alarm.OVERDUE_THRESHOLD:
        currencies = sorted(schedule.thresholds)
        return {"currencies": currencies, "limits": [schedule.thresholds[c] for c in currencies]}
    if alarm is Alarm.CONTACT_RATE:
        since, until = rules.contact_week(as_of)
        days = rules.business_days(since, until, business)
        return {
            "tz": timezone or "UTC",
            "since": since,
            "until": until,
            "business_days": days,
            "planned": schedule.contacts_per_day * days,
        }
    return {}


# Once per crossing: the customers this run's overdue-threshold digests told are recorded; the ones no longer at
# or above their threshold are forgotten, so their next crossing is told again.
_RECORD_CROSSINGS = text(
    f"""
WITH {_OVER_THRESHOLD}, gone AS (
    DELETE FROM alarms.threshold_crossings x
    WHERE x.tenant_id = CAST(:tenant AS uuid)
      AND NOT EXISTS (SELECT 1 FROM over o WHERE o.customer_id = x.customer_id AND o.currency = x.currency)
)
INSERT INTO alarms.threshold_crossings (tenant_id, customer_id, currency, crossed_on)
SELECT DISTINCT CAST(:tenant AS uuid), CAST(row->>'customer_id' AS uuid), row->>'currency', CAST(:as_of AS date)
FROM alarms.digests d CROSS JOIN LATERAL json_array_elements(d.rows) AS row
WHERE d.tenant_id = CAST(:tenant AS uuid) AND d.run_id = CAST(:run AS uuid) AND d.alarm = 'overdue_threshold'
ON CONFLICT DO NOTHING
"""
)


async def record_threshold_crossings(
    session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID, as_of: date, params: dict[str, Any]
) -> None:
    """After a real run stored its digests: the crossings it told, and the ones that ended."""
    await session.execute(
        _RECORD_CROSSINGS,
        {
            "tenant": tenant_id,
            "run": run_id,
            "as_of": as_of,
            "currencies": params.get("currencies", []),
            "limits": params.get("limits", []),
        },
    )
