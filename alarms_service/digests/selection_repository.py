"""The selection's repository: what goes into each digest, for a whole portfolio in one statement per alarm and
audience (the statements are measured by ``bench/alarms.py``: change them with the bench at hand).

Each statement applies the predicates of ``rules`` (``action_pending``, ``broken_promise_pending``,
``reported_not_credited``, ``pending_dispute``),
decides the recipient key of every row, and answers ONE ROW PER RECIPIENT: the row count, the customers, the
areas, the totals per currency (never added across currencies) and the rows as a JSON array already in
``rules.sort_key`` order (``tests/alarms/test_selection_agrees.py``, ``test_rules.py``). Python then only routes
and words each recipient's digest from its first rows; it never loops over invoices, and in a real run the rows
go from the statement to ``alarms.digests`` without leaving the server (through ``alarms.digest_staging``). The
weekly alarms read the invoices through a partial index on the two statuses they look at.

The staging's whole life is here: the statements fill it, ``store_staged_digests`` moves a run's rows into its new
digests and empties it, ``forget_stale_staging`` drops what runs that rolled back left.
"""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.digests import rules
from alarms_service.digests.rules import Audience, Directory
from alarms_service.tenant_settings.rules import MANAGER_ALARMS, Alarm, AlarmSchedule
from shared.calendar import BusinessCalendar

OWED = "i.status IN ('normal', 'promise_to_pay', 'payment_reported', 'dispute') AND i.open_amount > 0"

# Each alarm's SQL defines ``r``: one row per digest row (audience, key, problem, customer_id, area, ``doc``: the row
# as JSON, sort keys s1..s5) and ``money``: the open amounts its rows add up (audience, key, problem, currency,
# amount). The rows are built as ``json`` (text), not ``jsonb``: they are only stored and read back whole, and
# json_agg appends each row's text where jsonb_agg decodes and re-encodes it. Below, one sort numbers every
# recipient's rows in ``rules.sort_key`` order (the recipient first: a uuid tells the rows apart sooner than the
# audience), one pass groups them per recipient with the counts, the customers and the areas, and the totals per
# currency are summed apart from ``money``. All the rows are aggregated only when they are staged or asked for;
# otherwise only the first ``head``.
_GROUPED = """
, ranked AS (
    SELECT audience, key, problem, customer_id, area, doc,
           row_number() OVER (PARTITION BY key, audience, problem ORDER BY s1, s2, s3, s4, s5) AS n
    FROM r
), grouped AS (
    SELECT audience, key, problem, count(*) AS row_count, count(DISTINCT customer_id) AS customers,
           coalesce(array_agg(DISTINCT area) FILTER (WHERE area IS NOT NULL), '{{}}') AS areas,
           json_agg(doc ORDER BY n) FILTER (WHERE {all_rows}) AS rows,
           json_agg(doc ORDER BY n) FILTER (WHERE n <= CAST(:head AS int)) AS head
    FROM ranked GROUP BY key, audience, problem
), totals AS (
    SELECT audience, key, problem, jsonb_object_agg(currency, total::text) AS totals
    FROM (SELECT audience, key, problem, currency, sum(amount) AS total FROM money GROUP BY 1, 2, 3, 4) m
    GROUP BY audience, key, problem
)"""
_FULL = "CAST(:full AS boolean) OR key = ANY(CAST(:full_keys AS uuid[]))"
# A real run stages every recipient's rows for ``repository.store_staged_digests`` to store them; Python only sees
# the first ``head`` rows of each group (what the email lists), unless it asks for all of them.
_SAVE = """
, saved AS (
    INSERT INTO alarms.digest_staging (run_id, alarm, audience, key, rows)
    SELECT CAST(:run AS uuid), '{alarm}', audience, key, rows FROM grouped WHERE key IS NOT NULL
)"""
_ANSWER = """
SELECT g.audience, g.key, g.problem, g.row_count, g.customers, g.areas, coalesce(t.totals, '{}') AS totals,
       CASE WHEN CAST(:full AS boolean) OR g.key = ANY(CAST(:full_keys AS uuid[])) THEN g.rows
            ELSE coalesce(g.head, '[]') END AS rows
FROM grouped g
LEFT JOIN totals t
  ON t.audience = g.audience AND t.key IS NOT DISTINCT FROM g.key AND t.problem IS NOT DISTINCT FROM g.problem
ORDER BY g.audience, g.key NULLS LAST, g.problem
"""

_CUSTOMER = "'customer_id', c_id, 'customer_name', c.name, 'customer_external_id', c.external_id"

ACTIONS = f"""
WITH items AS (
    SELECT a.id, a.customer_id, a.action, a.created_on, a.invoice_ids, a.notice_state,
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
           json_object_agg(currency, amount::text ORDER BY currency) FILTER (WHERE owed > 0) AS totals
    FROM owed GROUP BY id
), r AS MATERIALIZED (
    SELECT 'action_owner' AS audience, it.key, CASE WHEN it.key IS NULL THEN 'no_action_owner' END AS problem,
           it.id AS item_id, it.customer_id, NULL::text AS area,
           json_build_object(
               'action_item_id', it.id, {_CUSTOMER.replace("c_id", "it.customer_id")},
               'action', it.action, 'created_on', it.created_on, 'notice_state', it.notice_state,
               'days_open', CAST(:as_of AS date) - it.created_on, 'invoice_ids', to_json(it.invoice_ids),
               'invoices_owed', coalesce(p.owed, 0), 'open_totals', coalesce(p.totals, '{{}}'::json)) AS doc,
           it.created_on AS s1, coalesce(c.name, '') COLLATE "C" AS s2, it.id::text AS s3,
           NULL::text AS s4, NULL::text AS s5
    FROM items it
    LEFT JOIN per_item p ON p.id = it.id
    LEFT JOIN alarms.customers c ON c.tenant_id = CAST(:tenant AS uuid) AND c.id = it.customer_id
    WHERE NOT coalesce(c.deleted, false) AND (coalesce(p.known, 0) = 0 OR p.owed > 0)
), money AS (
    SELECT r.audience, r.key, r.problem, o.currency, o.amount FROM r JOIN owed o ON o.id = r.item_id WHERE o.owed > 0
)"""

# A customer's open amount counts each invoice once (its latest broken promise), per currency.
BROKEN_PROMISES = """
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
           json_agg(json_build_object(
               'promise_id', promise_id, 'invoice_id', invoice_id, 'number', number,
               'promised_date', promised_date, 'broken_on', broken_on, 'currency', currency,
               'open_amount', open_amount::text) ORDER BY broken_on, number COLLATE "C", promise_id) AS promises
    FROM bp GROUP BY key, customer_id
), owed AS MATERIALIZED (
    SELECT key, customer_id, currency, sum(open_amount) AS amount
    FROM (SELECT DISTINCT ON (key, customer_id, invoice_id) key, customer_id, invoice_id, currency, open_amount
          FROM bp ORDER BY key, customer_id, invoice_id, broken_on DESC) latest
    GROUP BY key, customer_id, currency
), customer_totals AS (
    SELECT key, customer_id, json_object_agg(currency, amount::text ORDER BY currency) AS totals
    FROM owed GROUP BY key, customer_id
), r AS (
    SELECT 'collector' AS audience, pc.key, CASE WHEN pc.key IS NULL THEN 'no_collector' END AS problem,
           pc.customer_id, NULL::text AS area,
           json_build_object(
               'customer_id', pc.customer_id, 'customer_name', pc.customer_name,
               'customer_external_id', pc.external_id, 'oldest_broken_on', pc.oldest, 'promises', pc.promises,
               'open_totals', coalesce(ct.totals, '{}'::json)) AS doc,
           pc.oldest AS s1, coalesce(pc.customer_name, '') COLLATE "C" AS s2, pc.customer_id::text AS s3,
           NULL::text AS s4, NULL::text AS s5
    FROM per_customer pc
    LEFT JOIN customer_totals ct ON ct.key IS NOT DISTINCT FROM pc.key AND ct.customer_id = pc.customer_id
), money AS (
    SELECT 'collector' AS audience, key, CASE WHEN key IS NULL THEN 'no_collector' END AS problem, currency, amount
    FROM owed
)"""

_INVOICE_ROW = f"""
    'invoice_id', i.id, 'number', i.number, {_CUSTOMER.replace("c_id", "i.customer_id")},
    'due_date', i.due_date, 'currency', i.currency, 'open_amount', i.open_amount::text"""

PAYMENTS_REPORTED = f"""
WITH r AS MATERIALIZED (
    SELECT 'collector' AS audience, c.collector_id AS key,
           CASE WHEN c.collector_id IS NULL THEN 'no_collector' END AS problem, i.customer_id, NULL::text AS area,
           json_build_object({_INVOICE_ROW},
               'reported_date', i.reported_date,
               'days_reported', CAST(:as_of AS date) - i.reported_date) AS doc,
           i.reported_date AS s1, coalesce(c.name, '') COLLATE "C" AS s2, i.number COLLATE "C" AS s3, i.id::text AS s4,
           NULL::text AS s5, i.currency, i.open_amount AS amount
    FROM alarms.invoices i
    LEFT JOIN alarms.customers c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
    WHERE i.tenant_id = CAST(:tenant AS uuid) AND i.status = 'payment_reported' AND i.open_amount > 0
      AND i.reported_date < CAST(:cutoff AS date) AND NOT coalesce(c.deleted, false)
), money AS (
    SELECT audience, key, problem, currency, amount FROM r
)"""


# Disputes: the invoices are read and their rows built once (``d``), then grouped twice: per area's responsible
# (rows sorted by area first) and per collector.
DISPUTES = f"""
WITH areas AS (
    SELECT * FROM unnest(CAST(:area_ids AS uuid[]), CAST(:area_names AS text[]), CAST(:area_responsible AS uuid[]))
        AS a(id, name, responsible_id)
), d AS MATERIALIZED (
    SELECT i.customer_id, i.dispute_area_id, a.id AS area_id, a.name AS area, a.responsible_id, c.collector_id,
           json_build_object({_INVOICE_ROW},
               'area_id', i.dispute_area_id, 'area_name', a.name, 'disputed_since', since,
               'days_in_dispute', greatest(CAST(:as_of AS date) - since, 0)) AS doc,
           i.currency, i.open_amount AS amount, since, coalesce(c.name, '') COLLATE "C" AS customer_name,
           i.number COLLATE "C" AS number,
           i.id::text AS invoice_id
    FROM alarms.invoices i
    CROSS JOIN LATERAL (SELECT CAST(i.status_since AT TIME ZONE CAST(:tz AS text) AS date) AS since) s
    LEFT JOIN alarms.customers c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
    LEFT JOIN areas a ON a.id = i.dispute_area_id
    WHERE i.tenant_id = CAST(:tenant AS uuid) AND i.status = 'dispute' AND i.open_amount > 0
      AND NOT coalesce(c.deleted, false)
), r AS NOT MATERIALIZED (
    SELECT 'area' AS audience, responsible_id AS key,
           CASE WHEN dispute_area_id IS NULL THEN 'no_area' WHEN area_id IS NULL THEN 'unknown_area'
                WHEN responsible_id IS NULL THEN 'area_without_responsible' END AS problem,
           customer_id, area, doc, currency, amount,
           coalesce(area, '') COLLATE "C" AS s1, since AS s2, customer_name AS s3, number AS s4, invoice_id AS s5
    FROM d
    UNION ALL
    SELECT 'collector', collector_id, CASE WHEN collector_id IS NULL THEN 'no_collector' END,
           customer_id, area, doc, currency, amount, '' COLLATE "C", since, customer_name, number, invoice_id
    FROM d
), money AS (
    SELECT audience, key, problem, currency, amount FROM r
)"""


# --- issue 18: the manager's alarms and the weekly warning signs ------------------------------------------------

# Rows that add up no money (tasks, collectors, contacts, signs): their digests carry no totals.
_NO_MONEY = """, money AS (
    SELECT NULL::text AS audience, NULL::uuid AS key, NULL::text AS problem, NULL::text AS currency,
           NULL::numeric AS amount WHERE false
)"""
# Whom the manager's digests go to: the tenant's active managers; a tenant without one, its active admins.
_MANAGERS = """managers AS (
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
WITH {_OVERDUE}, {_MANAGERS}, per_customer AS (
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
# team's mean by more than ``spread`` percent (``rules.above_spread``).
WORKLOAD = f"""
WITH {_OVERDUE}, {_MANAGERS}, team AS (
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
    FROM team t LEFT JOIN assigned a ON a.collector_id = t.collector_id GROUP BY t.collector_id
), amounts AS (
    SELECT collector_id, currency, sum(amount) AS amount FROM assigned GROUP BY collector_id, currency
), means AS (
    SELECT a.currency, sum(a.amount) / (SELECT count(*) FROM team) AS mean FROM amounts a GROUP BY a.currency
), mean_customers AS (
    SELECT avg(customers) AS mean FROM per_collector
), above AS (
    SELECT p.collector_id, p.customers, mc.mean AS mean_customers,
           (p.customers > mc.mean * (100 + CAST(:spread AS int)) / 100) AS over_customers,
           coalesce((SELECT json_object_agg(a.currency, a.amount::text ORDER BY a.currency)
                     FROM amounts a WHERE a.collector_id = p.collector_id), '{{}}'::json) AS totals,
           coalesce((SELECT json_object_agg(m.currency, round(m.mean, 2)::text ORDER BY m.currency)
                     FROM means m), '{{}}'::json) AS mean_totals,
           coalesce((SELECT array_agg(a.currency ORDER BY a.currency) FROM amounts a JOIN means m USING (currency)
                     WHERE a.collector_id = p.collector_id
                       AND a.amount > m.mean * (100 + CAST(:spread AS int)) / 100), '{{}}') AS over_currencies,
           greatest(p.customers / nullif(mc.mean, 0),
                    (SELECT max(a.amount / nullif(m.mean, 0)) FROM amounts a JOIN means m USING (currency)
                     WHERE a.collector_id = p.collector_id)) AS ratio
    FROM per_collector p CROSS JOIN mean_customers mc
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
WITH {_OVER_THRESHOLD}, {_MANAGERS}, crossed AS MATERIALIZED (
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
WITH {_MANAGERS}, made AS (
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
    Alarm.ACTIONS: ACTIONS,
    Alarm.BROKEN_PROMISES: BROKEN_PROMISES,
    Alarm.PAYMENTS_REPORTED: PAYMENTS_REPORTED,
    Alarm.DISPUTES: DISPUTES,
    Alarm.TASKS_OVERDUE: TASKS_OVERDUE,
    Alarm.UNASSIGNED_CUSTOMERS: UNASSIGNED_CUSTOMERS,
    Alarm.WORKLOAD: WORKLOAD,
    Alarm.OVERDUE_THRESHOLD: OVERDUE_THRESHOLD,
    Alarm.CONTACT_RATE: CONTACT_RATE,
    Alarm.WARNING_SIGNS: WARNING_SIGNS,
}
STATEMENTS = {
    (alarm, save): text(
        selected
        + _GROUPED.format(all_rows="true" if save else _FULL)
        + (_SAVE.format(alarm=alarm.value) if save else "")
        + _ANSWER
    )
    for alarm, selected in SELECTIONS.items()
    for save in (False, True)
}


@dataclass(frozen=True)
class Group:
    """The rows of one recipient (``key``) in one audience, or of none (``key`` None, ``problem`` says why)."""

    audience: Audience
    key: uuid.UUID | None
    problem: str | None
    row_count: int
    customers: int
    areas: list[str]
    rows: list[dict[str, Any]]  # the first rows, or all of them (see ``select_groups``)
    totals: dict[str, str]


def parameters(
    alarm: Alarm,
    schedule: AlarmSchedule,
    *,
    tenant_id: uuid.UUID,
    as_of: date,
    timezone: str | None,
    directory: Directory,
    business: BusinessCalendar = rules.NO_HOLIDAYS,
) -> dict[str, Any]:
    params: dict[str, Any] = {"tenant": tenant_id, "as_of": as_of}
    if alarm in MANAGER_ALARMS:
        params.update(manager_parameters(alarm, schedule, as_of=as_of, timezone=timezone, business=business))
    elif alarm is Alarm.ACTIONS:
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


def manager_parameters(
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


# For this transaction only: sort a large tenant's rows in memory rather than on disk, and look rows up by their
# index (the projection is small and hot: a seq scan of a million invoices to find 15,000 is the wrong plan).
PLANNER = (text("SET LOCAL work_mem = '64MB'"), text("SET LOCAL random_page_cost = 1.1"))


async def tune_planner(session: AsyncSession) -> None:
    """Set ``PLANNER`` for the session's transaction, before its ``select_groups``."""
    for setting in PLANNER:
        await session.execute(setting)


async def select_groups(
    session: AsyncSession,
    alarm: Alarm,
    params: dict[str, Any],
    *,
    run_id: uuid.UUID | None = None,
    head: int = 100,
    full: bool = False,
    full_keys: list[uuid.UUID] | None = None,
) -> list[Group]:
    """The groups of one alarm, per audience and recipient. With a ``run_id``, every group's rows are staged in
    ``alarms.digest_staging`` under it; the answer carries each group's first ``head`` rows, or all of them with
    ``full`` or for the keys in ``full_keys``."""
    values = {**params, "head": head, "full": full, "full_keys": list(full_keys or []), "run": run_id}
    result = await session.execute(STATEMENTS[(alarm, run_id is not None)], values)
    return [
        Group(
            audience=Audience(row.audience),
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


@dataclass(frozen=True, slots=True)
class NewDigest:
    """A digest a run stores (``store_staged_digests``); its rows are the ones staged for its recipient."""

    id: uuid.UUID
    alarm: str
    audience: str
    period: str
    recipient_id: uuid.UUID
    recipient_kind: str
    recipient_user_id: uuid.UUID | None
    recipient_name: str
    recipient_email: str | None
    language: str
    row_count: int
    customers: int
    totals: dict[str, str]
    data: dict[str, Any]
    idempotency_key: str


# The digests' rows go from alarms.digest_staging (filled by the selection) to alarms.digests on the server.
_STORE_STAGED = text(
    """
INSERT INTO alarms.digests (id, tenant_id, run_id, alarm, audience, period, as_of, recipient_id, recipient_kind,
                            recipient_user_id, recipient_name, recipient_email, language, row_count, customers,
                            totals, rows, data, idempotency_key, status)
SELECT p.id, CAST(:tenant AS uuid), CAST(:run AS uuid), p.alarm, p.audience, p.period, CAST(:as_of AS date),
       p.recipient_id, p.kind, p.user_id, p.name, p.email, p.language, p.row_count, p.customers, p.totals, g.rows,
       p.data, p.idempotency_key, 'sent'
FROM unnest(CAST(:ids AS uuid[]), CAST(:alarms AS text[]), CAST(:audiences AS text[]), CAST(:periods AS text[]),
            CAST(:recipients AS uuid[]), CAST(:kinds AS text[]), CAST(:user_ids AS uuid[]), CAST(:names AS text[]),
            CAST(:emails AS text[]), CAST(:languages AS text[]), CAST(:row_counts AS int[]),
            CAST(:customers AS int[]), CAST(CAST(:totals AS text[]) AS jsonb[]), CAST(CAST(:data AS text[]) AS jsonb[]),
            CAST(:keys AS text[]))
     AS p(id, alarm, audience, period, recipient_id, kind, user_id, name, email, language, row_count, customers,
          totals, data, idempotency_key)
JOIN alarms.digest_staging g
  ON g.run_id = CAST(:run AS uuid) AND g.alarm = p.alarm AND g.audience = p.audience AND g.key = p.recipient_id
ON CONFLICT DO NOTHING
RETURNING id, created_at
"""
)
_UNSTAGE = text("DELETE FROM alarms.digest_staging WHERE run_id = CAST(:run AS uuid)")


async def store_staged_digests(
    session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID, as_of: date, digests: Sequence[NewDigest]
) -> dict[uuid.UUID, datetime]:
    """Store the run's new digests, each with the rows staged for its recipient, in one statement, and empty the
    run's staging. Answers when each stored digest was created; a digest missing from the answer lost the unique
    index race to another run (``ON CONFLICT DO NOTHING``): it is not sent again."""
    created: dict[uuid.UUID, datetime] = {}
    if digests:
        returned = await session.execute(
            _STORE_STAGED,
            {
                "tenant": tenant_id,
                "run": run_id,
                "as_of": as_of,
                "ids": [d.id for d in digests],
                "alarms": [d.alarm for d in digests],
                "audiences": [d.audience for d in digests],
                "periods": [d.period for d in digests],
                "recipients": [d.recipient_id for d in digests],
                "kinds": [d.recipient_kind for d in digests],
                "user_ids": [d.recipient_user_id for d in digests],
                "names": [d.recipient_name[:200] for d in digests],
                "emails": [d.recipient_email for d in digests],
                "languages": [d.language for d in digests],
                "row_counts": [d.row_count for d in digests],
                "customers": [d.customers for d in digests],
                "totals": [json.dumps(d.totals) for d in digests],
                "data": [json.dumps(d.data) for d in digests],
                "keys": [d.idempotency_key for d in digests],
            },
        )
        created = {row.id: row.created_at for row in returned}
    await session.execute(_UNSTAGE, {"run": run_id})
    return created


async def forget_stale_staging(session: AsyncSession) -> None:
    """Rows staged by runs that never finished (their transaction rolled back)."""
    await session.execute(text("DELETE FROM alarms.digest_staging WHERE created_at < now() - interval '1 hour'"))


# The inbox (issue 18): each stored digest addressed to a user is an item of that user's inbox, written with it.
_FILL_INBOX = text(
    """
INSERT INTO alarms.inbox_items (id, tenant_id, user_id, kind, source_id, alarm, period, title, summary, lines,
                                action, row_count, created_at)
SELECT gen_random_uuid(), d.tenant_id, d.recipient_user_id, 'digest', d.id, d.alarm, d.period, d.data->>'title',
       d.data->>'summary', d.data->'lines', d.data->>'action', d.row_count, d.created_at
FROM alarms.digests d
WHERE d.tenant_id = CAST(:tenant AS uuid) AND d.id = ANY(CAST(:ids AS uuid[])) AND d.recipient_user_id IS NOT NULL
ON CONFLICT DO NOTHING
"""
)


async def fill_inbox(session: AsyncSession, tenant_id: uuid.UUID, digest_ids: Sequence[uuid.UUID]) -> None:
    """Put the new digests in their recipients' inboxes (a person who is no user has none)."""
    if digest_ids:
        await session.execute(_FILL_INBOX, {"tenant": tenant_id, "ids": list(digest_ids)})


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
