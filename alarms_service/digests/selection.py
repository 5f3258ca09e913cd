"""What goes into each digest, for a whole portfolio in one statement per alarm and audience.

Each statement applies the predicates of ``rules`` (``action_pending``, ``broken_promise_pending``,
``reported_not_credited``, ``pending_dispute``: ``tests/alarms/test_rules.py`` holds both to the same answers),
decides the recipient key of every row, and answers ONE ROW PER RECIPIENT: the row count, the customers, the
areas, the totals per currency (never added across currencies) and the rows as a JSON array already in
``rules.sort_key`` order. Python then only routes and words each recipient's digest; it never loops over
invoices. The weekly alarms read the invoices through a partial index on the two statuses they look at.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from alarms_service import rules
from alarms_service.rules import Alarm, AlarmSchedule, Audience, Directory

OWED = "i.status IN ('normal', 'promise_to_pay', 'payment_reported', 'dispute') AND i.open_amount > 0"

# ``r``: one row per digest row (key, problem, customer_id, area, doc, s1..s5 sort keys);
# ``m``: the money under those rows (key, problem, currency, amount). This groups them per recipient.
_TAIL = """
, g AS (
    SELECT key, problem, count(*) AS row_count, count(DISTINCT customer_id) AS customers,
           coalesce(array_agg(DISTINCT area) FILTER (WHERE area IS NOT NULL), '{}') AS areas,
           jsonb_agg(doc ORDER BY s1, s2, s3, s4, s5) AS rows
    FROM r GROUP BY key, problem
), t AS (
    SELECT key, problem, jsonb_object_agg(currency, amount::text) AS totals
    FROM (SELECT key, problem, currency, sum(amount) AS amount FROM m GROUP BY key, problem, currency) x
    GROUP BY key, problem
)
SELECT g.key, g.problem, g.row_count, g.customers, g.areas, g.rows, coalesce(t.totals, '{}'::jsonb) AS totals
FROM g LEFT JOIN t ON t.key IS NOT DISTINCT FROM g.key AND t.problem IS NOT DISTINCT FROM g.problem
ORDER BY g.key NULLS LAST, g.problem
"""

_CUSTOMER = "'customer_id', c_id, 'customer_name', c.name, 'customer_external_id', c.external_id"

ACTIONS = f"""
WITH items AS (
    SELECT a.id, a.customer_id, a.action, a.created_on, a.invoice_ids,
           coalesce(CAST(:owner AS uuid), a.assignee_id) AS key
    FROM alarms.action_items a
    WHERE a.tenant_id = CAST(:tenant AS uuid) AND a.status = 'open' AND a.created_on <= CAST(:as_of AS date)
), owed AS (
    SELECT it.id, i.currency, count(*) AS known, count(*) FILTER (WHERE {OWED}) AS owed,
           sum(i.open_amount) FILTER (WHERE {OWED}) AS amount
    FROM items it
    JOIN alarms.invoices i ON i.tenant_id = CAST(:tenant AS uuid) AND i.id = ANY(it.invoice_ids)
    GROUP BY it.id, i.currency
), per_item AS (
    SELECT id, sum(known) AS known, sum(owed) AS owed,
           jsonb_object_agg(currency, amount::text) FILTER (WHERE owed > 0) AS totals
    FROM owed GROUP BY id
), r AS (
    SELECT it.key, CASE WHEN it.key IS NULL THEN 'no_action_owner' END AS problem, it.customer_id,
           NULL::text AS area, it.id AS item_id,
           jsonb_build_object(
               'action_item_id', it.id, {_CUSTOMER.replace("c_id", "it.customer_id")},
               'action', it.action, 'created_on', it.created_on,
               'days_open', CAST(:as_of AS date) - it.created_on, 'invoice_ids', to_jsonb(it.invoice_ids),
               'invoices_owed', coalesce(p.owed, 0), 'open_totals', coalesce(p.totals, '{{}}'::jsonb)) AS doc,
           it.created_on AS s1, coalesce(c.name, '') COLLATE "C" AS s2, it.id::text AS s3,
           NULL::text AS s4, NULL::text AS s5
    FROM items it
    LEFT JOIN per_item p ON p.id = it.id
    LEFT JOIN alarms.customers c ON c.tenant_id = CAST(:tenant AS uuid) AND c.id = it.customer_id
    WHERE NOT coalesce(c.deleted, false) AND (coalesce(p.known, 0) = 0 OR p.owed > 0)
), m AS (
    SELECT r.key, r.problem, o.currency, o.amount
    FROM r JOIN owed o ON o.id = r.item_id
    WHERE o.owed > 0
)
{_TAIL}
"""

BROKEN_PROMISES = f"""
WITH bp AS (
    SELECT b.promise_id, b.invoice_id, b.customer_id, b.promised_date, b.broken_on,
           coalesce(i.currency, b.currency) AS currency, coalesce(i.open_amount, b.open_amount) AS open_amount,
           i.number, coalesce(b.collector_id, c.collector_id) AS key, c.name AS customer_name,
           c.external_id AS customer_external_id
    FROM alarms.broken_promises b
    LEFT JOIN alarms.invoices i ON i.tenant_id = b.tenant_id AND i.id = b.invoice_id
    LEFT JOIN alarms.customers c ON c.tenant_id = b.tenant_id AND c.id = b.customer_id
    WHERE b.tenant_id = CAST(:tenant AS uuid)
      AND b.broken_on BETWEEN CAST(:since AS date) AND CAST(:as_of AS date)
      AND NOT coalesce(c.deleted, false)
      AND (i.id IS NULL OR (i.open_amount > 0 AND (i.status = 'normal'
           OR (i.status = 'promise_to_pay' AND i.promised_date <= b.promised_date))))
), per_customer AS (
    SELECT key, customer_id, min(customer_name) AS customer_name, min(customer_external_id) AS external_id,
           min(broken_on) AS oldest,
           jsonb_agg(jsonb_build_object(
               'promise_id', promise_id, 'invoice_id', invoice_id, 'number', number,
               'promised_date', promised_date, 'broken_on', broken_on, 'currency', currency,
               'open_amount', open_amount::text) ORDER BY broken_on, number COLLATE "C", promise_id) AS promises
    FROM bp GROUP BY key, customer_id
), money AS (
    SELECT DISTINCT ON (key, customer_id, invoice_id) key, customer_id, invoice_id, currency, open_amount
    FROM bp ORDER BY key, customer_id, invoice_id, broken_on DESC
), customer_totals AS (
    SELECT key, customer_id, jsonb_object_agg(currency, amount::text) AS totals
    FROM (SELECT key, customer_id, currency, sum(open_amount) AS amount FROM money GROUP BY 1, 2, 3) x
    GROUP BY key, customer_id
), r AS (
    SELECT pc.key, CASE WHEN pc.key IS NULL THEN 'no_collector' END AS problem, pc.customer_id,
           NULL::text AS area,
           jsonb_build_object(
               'customer_id', pc.customer_id, 'customer_name', pc.customer_name,
               'customer_external_id', pc.external_id, 'oldest_broken_on', pc.oldest, 'promises', pc.promises,
               'open_totals', coalesce(ct.totals, '{{}}'::jsonb)) AS doc,
           pc.oldest AS s1, coalesce(pc.customer_name, '') COLLATE "C" AS s2, pc.customer_id::text AS s3,
           NULL::text AS s4, NULL::text AS s5
    FROM per_customer pc
    LEFT JOIN customer_totals ct ON ct.key IS NOT DISTINCT FROM pc.key AND ct.customer_id = pc.customer_id
), m AS (
    SELECT key, CASE WHEN key IS NULL THEN 'no_collector' END AS problem, currency, open_amount AS amount
    FROM money
)
{_TAIL}
"""

_INVOICE_ROW = f"""
    'invoice_id', i.id, 'number', i.number, {_CUSTOMER.replace("c_id", "i.customer_id")},
    'due_date', i.due_date, 'currency', i.currency, 'open_amount', i.open_amount::text"""

PAYMENTS_REPORTED = f"""
WITH r AS (
    SELECT c.collector_id AS key, CASE WHEN c.collector_id IS NULL THEN 'no_collector' END AS problem,
           i.customer_id, NULL::text AS area,
           jsonb_build_object({_INVOICE_ROW},
               'reported_date', i.reported_date,
               'days_reported', CAST(:as_of AS date) - i.reported_date) AS doc,
           i.reported_date AS s1, coalesce(c.name, '') COLLATE "C" AS s2, i.number COLLATE "C" AS s3, i.id::text AS s4,
           NULL::text AS s5, i.currency, i.open_amount
    FROM alarms.invoices i
    LEFT JOIN alarms.customers c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
    WHERE i.tenant_id = CAST(:tenant AS uuid) AND i.status = 'payment_reported' AND i.open_amount > 0
      AND i.reported_date < CAST(:cutoff AS date) AND NOT coalesce(c.deleted, false)
), m AS (SELECT key, problem, currency, open_amount AS amount FROM r)
{_TAIL}
"""


def _disputes(audience: Audience) -> str:
    if audience is Audience.AREA:
        key = "a.responsible_id"
        problem = (
            "CASE WHEN i.dispute_area_id IS NULL THEN 'no_area' WHEN a.id IS NULL THEN 'unknown_area' "
            "WHEN a.responsible_id IS NULL THEN 'area_without_responsible' END"
        )
        order = (
            "coalesce(a.name, '') COLLATE \"C\"; d.since; coalesce(c.name, '') COLLATE \"C\"; "
            'i.number COLLATE "C"; i.id::text'
        )
    else:
        key = "c.collector_id"
        problem = "CASE WHEN c.collector_id IS NULL THEN 'no_collector' END"
        order = 'd.since; coalesce(c.name, \'\') COLLATE "C"; i.number COLLATE "C"; i.id::text; NULL::text'
    s1, s2, s3, s4, s5 = (part.strip() for part in order.split(";"))
    return f"""
WITH areas AS (
    SELECT * FROM unnest(CAST(:area_ids AS uuid[]), CAST(:area_names AS text[]), CAST(:area_responsible AS uuid[]))
        AS a(id, name, responsible_id)
), r AS (
    SELECT {key} AS key, {problem} AS problem, i.customer_id, a.name AS area,
           jsonb_build_object({_INVOICE_ROW},
               'area_id', i.dispute_area_id, 'area_name', a.name, 'disputed_since', d.since,
               'days_in_dispute', greatest(CAST(:as_of AS date) - d.since, 0)) AS doc,
           {s1} AS s1, {s2} AS s2, {s3} AS s3, {s4} AS s4, {s5} AS s5, i.currency, i.open_amount
    FROM alarms.invoices i
    CROSS JOIN LATERAL (SELECT CAST(i.status_since AT TIME ZONE CAST(:tz AS text) AS date) AS since) d
    LEFT JOIN alarms.customers c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
    LEFT JOIN areas a ON a.id = i.dispute_area_id
    WHERE i.tenant_id = CAST(:tenant AS uuid) AND i.status = 'dispute' AND i.open_amount > 0
      AND NOT coalesce(c.deleted, false)
), m AS (SELECT key, problem, currency, open_amount AS amount FROM r)
{_TAIL}
"""


STATEMENTS = {
    (Alarm.ACTIONS, Audience.ACTION_OWNER): text(ACTIONS),
    (Alarm.BROKEN_PROMISES, Audience.COLLECTOR): text(BROKEN_PROMISES),
    (Alarm.PAYMENTS_REPORTED, Audience.COLLECTOR): text(PAYMENTS_REPORTED),
    (Alarm.DISPUTES, Audience.AREA): text(_disputes(Audience.AREA)),
    (Alarm.DISPUTES, Audience.COLLECTOR): text(_disputes(Audience.COLLECTOR)),
}


@dataclass(frozen=True)
class Group:
    """The rows of one recipient (``key``), or of none (``key`` None, ``problem`` says why)."""

    key: uuid.UUID | None
    problem: str | None
    row_count: int
    customers: int
    areas: list[str]
    rows: list[dict[str, Any]]
    totals: dict[str, str]


def parameters(
    alarm: Alarm,
    schedule: AlarmSchedule,
    *,
    tenant_id: uuid.UUID,
    as_of: date,
    timezone: str | None,
    directory: Directory,
) -> dict[str, Any]:
    params: dict[str, Any] = {"tenant": tenant_id, "as_of": as_of}
    if alarm is Alarm.ACTIONS:
        params["owner"] = directory.action_owner_id
    elif alarm is Alarm.BROKEN_PROMISES:
        params["since"] = rules.broken_since(as_of, schedule.lookback_days)
    elif alarm is Alarm.PAYMENTS_REPORTED:
        params["cutoff"] = rules.reported_cutoff(as_of, schedule.threshold_days)
    else:
        params["tz"] = timezone or "UTC"
        params["area_ids"] = [a.id for a in directory.areas]
        params["area_names"] = [a.name for a in directory.areas]
        params["area_responsible"] = [a.responsible_id for a in directory.areas]
    return params


async def select_groups(
    conn: AsyncConnection | AsyncSession, alarm: Alarm, audience: Audience, params: dict[str, Any]
) -> list[Group]:
    result = await conn.execute(STATEMENTS[(alarm, audience)], params)
    return [
        Group(
            key=row.key,
            problem=row.problem,
            row_count=row.row_count,
            customers=row.customers,
            areas=list(row.areas),
            rows=row.rows,
            totals=row.totals,
        )
        for row in result
    ]
