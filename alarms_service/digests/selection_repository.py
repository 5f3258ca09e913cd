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

The statements of issue 18's alarms are ``manager_selection``'s, on the same frame (``r`` and ``money``).

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

from alarms_service.digests import manager_selection, plan_selection, rules
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


SELECTIONS = {
    Alarm.ACTIONS: ACTIONS,
    Alarm.BROKEN_PROMISES: BROKEN_PROMISES,
    Alarm.PAYMENTS_REPORTED: PAYMENTS_REPORTED,
    Alarm.DISPUTES: DISPUTES,
    **manager_selection.SELECTIONS,
    Alarm.PLANS_BROKEN: plan_selection.PLANS_BROKEN,
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
        params.update(manager_selection.parameters(alarm, schedule, as_of=as_of, timezone=timezone, business=business))
    elif alarm is Alarm.ACTIONS:
        params["owner"] = directory.action_owner_id
    elif alarm in (Alarm.BROKEN_PROMISES, Alarm.PLANS_BROKEN):
        params["since"] = rules.broken_since(as_of, schedule.lookback_days)
    elif alarm is Alarm.PAYMENTS_REPORTED:
        params["cutoff"] = rules.reported_cutoff(as_of, schedule.threshold_days)
    else:
        params["tz"] = timezone or "UTC"
        params["area_ids"] = [a.id for a in directory.areas]
        params["area_names"] = [a.name for a in directory.areas]
        params["area_responsible"] = [a.responsible_id for a in directory.areas]
    return params


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
