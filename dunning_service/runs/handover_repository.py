"""The hand-over's repository: a real run's hand-over in SQL (issue 13; the plan is ``statements.py``): a part's
dispatches written from its planned messages, its steps marked pending (``pending``) and its
``SendDispatchedCommunications`` commands naming its dispatches, in batches of ``command_batch_size``, into the
outbox; each message's content, the customer's whole position built by the server (JSON aggregation), when
messaging asks for it (``dispatched_communications``); the unreachable items' tasks (one ``CreateTask`` each, their
steps done); and the first entries a dry run shows, built by the same message query. Each statement runs in the
caller's session and transaction (its ``SET LOCAL``s and temporary tables live there).

``tests/dunning/test_selection_agrees.py`` holds these statements to ``payloads.communication`` and the pure rules.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.runs import payloads, pending
from dunning_service.runs.context import TenantContext
from dunning_service.runs.selection import OPEN_STATUSES, OWED
from dunning_service.runs.statements import (
    CHANNEL_SLOTS,
    DISPATCH_COLUMNS,
    DISPATCHES,
    PLANNED_MESSAGES,
    RUN_CALLS,
    RUN_TASKS,
    RUN_WORK_MEM,
    STEP_ROWS,
    communication_kind_sql,
    final_tones,
)
from shared.contracts.messaging import PrepareCallTasks, SendDispatchedCommunications
from shared.contracts.receivables import CreateTask
from shared.db import analyzed_table, set_local
from shared.messages import Message

# ------------------------------------------------------------------------------------------------- messages


def positions_query(customers: str) -> str:
    """The open invoices that the positions of ``customers`` (a query of customer ids) list, each with its days
    overdue (``days``, negative before the due date) and whether it is demanded (normal: not promised, reported or
    disputed)."""
    return f"""
SELECT i.customer_id, i.id, i.number, i.kind, i.currency, i.amount, i.open_amount, i.issue_date, i.due_date,
       i.status, i.promised_date, i.reported_date, i.document_url,
       CAST(:as_of AS date) - i.due_date AS days, i.status = 'normal' AS demanded
FROM dunning.invoices i
WHERE i.tenant_id = :tenant_id AND i.customer_id IN ({customers}) AND i.status IN {OPEN_STATUSES} AND {OWED}"""


def communications_query(source: str) -> str:
    """Each communication of ``source`` (a query of dispatch rows) as ``payloads.communication`` builds it: the
    customer's whole open position (``position``: overdue first, the triggering invoices marked, totals per
    currency net of the customer's credits, never below zero), as JSON built by the server (``json``: text
    appended as it goes, cheaper than ``jsonb``'s containers). Columns: dispatch id, customer id, channel,
    payload."""
    # A line is a row turned into JSON as a whole (``to_json``: a third cheaper than naming each field in
    # ``json_build_object``); the optional fields only when set (``position_line``): most lines have none, and
    # stripping the nulls of every line re-reads its text.
    fields = """p.id AS invoice_id, p.number, p.kind, p.currency, CAST(p.amount AS text) AS amount,
        CAST(p.open_amount AS text) AS open_amount, p.issue_date, p.due_date, p.days AS days_overdue, p.status,
        p.id = ANY(d.invoice_ids) AS triggered, p.demanded"""
    line = f"""CASE WHEN nullif(p.document_url, '') IS NULL AND p.promised_date IS NULL AND p.reported_date IS NULL
        THEN to_json((SELECT x FROM (SELECT {fields}) x))
        ELSE json_strip_nulls(to_json((SELECT x FROM (SELECT {fields}, nullif(p.document_url, '') AS document_url,
                                                      p.promised_date, p.reported_date) x))) END"""

    def net(column: str) -> str:
        amount = f"greatest(0, s.{column} - coalesce(CAST(c.credits ->> s.currency AS numeric), 0))"
        return f"""coalesce(json_agg(json_build_object('currency', s.currency, 'amount', CAST({amount} AS text))
                            ORDER BY s.currency COLLATE "C") FILTER (WHERE s.{column} IS NOT NULL), '[]')"""

    return f"""
WITH d AS ({source}),
cust AS MATERIALIZED (  -- the customers written to, read once
  SELECT c.* FROM dunning.customers c
  WHERE c.tenant_id = :tenant_id AND c.id IN (SELECT customer_id FROM d)
),
pos AS ({positions_query("SELECT customer_id FROM d")}),
sums AS (
  SELECT customer_id, currency,
         sum(open_amount) FILTER (WHERE demanded AND days > 0) AS overdue,
         sum(open_amount) FILTER (WHERE demanded) AS owed,
         count(*) FILTER (WHERE demanded AND days > 0) AS overdue_count,
         max(days) FILTER (WHERE demanded AND days > 0) AS oldest
  FROM pos GROUP BY customer_id, currency
),
position AS (
  SELECT s.customer_id, {net("overdue")} AS totals, {net("owed")} AS open_totals,
         sum(s.overdue_count) AS overdue_count, max(s.oldest) AS oldest
  FROM sums s JOIN cust c ON c.id = s.customer_id
  GROUP BY s.customer_id
),
lines AS (
  SELECT d.id, json_agg({line} ORDER BY p.days <= 0, p.due_date, p.number COLLATE "C", p.id) AS invoices
  FROM d JOIN pos p ON p.customer_id = d.customer_id
  GROUP BY d.id
)
SELECT d.id, d.customer_id, d.channel, json_build_object(
  'idempotency_key', d.idempotency_key, 'kind', {communication_kind_sql("d.kind")}, 'channel', d.channel,
  'to', d.address, 'language', coalesce(nullif(c.language, ''), CAST(:language AS text)), 'tone', d.tone,
  'customer', json_build_object('customer_id', c.id, 'external_id', c.external_id, 'name', c.name,
                                 'tax_id', c.tax_id, 'country', c.country, 'timezone', c.timezone,
                                 'language', c.language),
  'recipient_name', c.name,
  'invoices', coalesce(l.invoices, '[]'), 'totals', coalesce(ps.totals, '[]'),
  'open_totals', coalesce(ps.open_totals, '[]'),
  'credits', (SELECT coalesce(json_agg(json_build_object('currency', key, 'amount', value) ORDER BY key COLLATE "C"),
                              '[]')
              FROM jsonb_each_text(c.credits) WHERE CAST(value AS numeric) > 0),
  -- the customer's open charges, kept as JSON (``fees.repository.OPEN_CHARGES``): found by key for each message (as a
  -- join the planner hashed all the tenant's lists for every part)
  'charges', coalesce((SELECT oc.charges FROM dunning.open_charges oc
                       WHERE oc.tenant_id = :tenant_id AND oc.customer_id = d.customer_id), '[]'),
  'overdue_count', coalesce(ps.overdue_count, 0), 'oldest_days_overdue', ps.oldest,
  'action', d.action, 'collector', c.people -> 'collector', 'advisor', c.people -> 'advisor',
  'supervisor', c.people -> 'supervisor', 'attach_statement', d.kind IN ('overdue', 'action'),
  'data', json_build_object('as_of', CAST(:as_of_text AS text), 'run_id', CAST(d.run_id AS text),
                             'steps', (SELECT json_object_agg(CAST(u.invoice_id AS text), u.step_key)
                                       FROM unnest(d.invoice_ids, d.step_keys) AS u(invoice_id, step_key))),
  'source', 'dunning', 'source_ref', CAST(d.id AS text)) AS payload
FROM d
JOIN cust c ON c.id = d.customer_id
LEFT JOIN position ps ON ps.customer_id = d.customer_id
LEFT JOIN lines l ON l.id = d.id"""


# The part being handed over, in temporary tables of its transaction, analyzed: its planned messages, the
# dispatches written
PART_PLAN = "part_plan"
PART = "part_dispatches"
_PART_PLAN = f"SELECT * FROM {PLANNED_MESSAGES} WHERE tenant_id = :tenant_id AND run_id = :run_id AND part = :part"
# Its dispatches with their final tone (``final_tones``, as a dry run's), skipping a key an earlier run of the day
# handed over; its planned messages done.
_PART_WRITE = text(
    f"""
INSERT INTO {DISPATCHES} ({DISPATCH_COLUMNS})
{final_tones(DISPATCH_COLUMNS, PART_PLAN)}
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING"""
)
_PART_PLANNED_DONE = text(
    f"DELETE FROM {PLANNED_MESSAGES} WHERE tenant_id = :tenant_id AND run_id = :run_id AND part = :part"
)
_PART_DISPATCHES = f"""
SELECT * FROM {DISPATCHES}
WHERE tenant_id = :tenant_id AND run_id = :run_id AND part = :part AND channel IS NOT NULL"""
_PART_STEPS = (
    f"SELECT CAST(:tenant_id AS uuid) AS tenant_id, unnest(invoice_ids) AS invoice_id, unnest(step_ids) AS step_id "
    f"FROM {PART}"
)
_PART_NEW_MARKS = text(pending.new_marks_query(_PART_STEPS))
_PART_PENDING = text(pending.mark_query(_PART_STEPS))


def outbox_insert(message: type[Message], payload_select: str) -> str:
    """An outbox row (``shared.outbox.emit``'s columns) per row of ``payload_select`` (a ``payload`` column)."""
    consumers = "{" + ",".join(message.consumers) + "}"
    return f"""
INSERT INTO dunning.outbox (id, tenant_id, message_type, version, consumers, payload, occurred_at)
SELECT gen_random_uuid(), CAST(:tenant_id AS uuid), '{message.message_type}', {message.version},
       CAST('{consumers}' AS varchar[]), payload, clock_timestamp()
FROM ({payload_select}) rows"""


# The part's messages by reference, ``:batch`` dispatches a command, a customer's messages together
_SEND = text(
    outbox_insert(
        SendDispatchedCommunications,
        f"""
SELECT json_build_object('dispatch_ids', json_agg(id ORDER BY n)) AS payload
FROM (SELECT id, row_number() OVER (ORDER BY customer_id, channel, id) - 1 AS n FROM {PART}) numbered
GROUP BY n / :batch""",
    )
)


async def hand_over_part(
    session: AsyncSession,
    tenant: TenantContext,
    run_id: uuid.UUID,
    as_of: date,
    part: int,
    command_batch_size: int,
) -> None:
    """The part's dispatches, its steps pending and its commands to messaging, in the caller's transaction."""
    params = {"tenant_id": tenant.tenant_id, "run_id": run_id, "part": part}
    await set_local(session, jit="off", work_mem=RUN_WORK_MEM)
    # each set's size known to the planner (a fresh run's rows have no statistics yet). The planned messages taken
    # by a ``DELETE ... RETURNING`` feeding the insert instead, one statement, were slower: 1M catch-up's 8 parts
    # 9.2 s against 8.0 s for the copy, the insert and the delete
    await analyzed_table(session, PART_PLAN, _PART_PLAN, params, columns=("customer_id",))
    await session.execute(_PART_WRITE, {**params, "as_of": as_of})
    await session.execute(_PART_PLANNED_DONE, params)
    await analyzed_table(session, PART, _PART_DISPATCHES, params, columns=("id", "customer_id"))
    await _mark_pending(session, params)
    await session.execute(_SEND, {**params, "batch": max(1, command_batch_size)})


async def _mark_pending(session: AsyncSession, params: dict[str, Any]) -> None:
    """The part's steps pending: as new marks (``pending.new_marks_query``), or, when one of its invoices was
    marked already (an earlier run's step messaging never answered; a fallback's at the same moment), by
    replacing the marks (``pending.mark_query``), the first attempt undone to its savepoint."""
    try:
        async with session.begin_nested():
            await session.execute(_PART_NEW_MARKS, params)
    except IntegrityError:
        await session.execute(_PART_PENDING, params)


ASKED = "asked_dispatches"  # the dispatches messaging asks for (a temporary table, analyzed)
_ASKED = f"""
SELECT * FROM {DISPATCHES}
WHERE tenant_id = :tenant_id AND id = ANY(CAST(:ids AS uuid[])) AND channel IS NOT NULL"""
_ASKED_DAYS = text(f"SELECT DISTINCT as_of FROM {ASKED}")
_ASKED_BUILT = text(
    f"SELECT id, CAST(payload AS text) FROM ({communications_query(f'SELECT * FROM {ASKED} WHERE as_of = :as_of')}) b"
)


async def dispatched_communications(
    session: AsyncSession, tenant: TenantContext, dispatch_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The communications of these dispatches (a run's messages, ``SendDispatchedCommunications``) as JSON texts by
    dispatch id, each as the run would have built it (``communications_query``), the customer's position read now;
    a dispatch unknown or of a task is left out."""
    await set_local(session, jit="off", work_mem=RUN_WORK_MEM)
    # counted first: guessed at one row (the dispatches' statistics lag a day's runs), the planner built every
    # message's lines again for each message (27 s for 1,000 at 1M, by key 0.2 s). ``as_of`` too: the messages are
    # read a day at a time, and that filter unmeasured was guessed at 5 of 1,000 rows, which again nested the
    # customers' positions (22 s for 1,000 of a fresh 100k tenant whose customers the planner thought empty; 0.13 s)
    await analyzed_table(
        session, ASKED, _ASKED, {"tenant_id": tenant.tenant_id, "ids": dispatch_ids}, ("id", "customer_id", "as_of")
    )
    found: dict[uuid.UUID, str] = {}
    for (as_of,) in (await session.execute(_ASKED_DAYS)).all():  # one day (the run's), as a rule
        rows = await session.execute(_ASKED_BUILT, message_params(tenant, as_of))
        found.update((row[0], row[1]) for row in rows)
    return found


# --------------------------------------------------------------------------------------------------- tasks

TASK_ITEMS = "task_items"  # the run's tasks' (invoice, step) pairs, one row each (a temporary table, analyzed)
_TASK_ITEMS = f"""
SELECT unnest(invoice_ids) AS invoice_id, unnest(step_ids) AS step_id, action_invoice_ids FROM ({RUN_TASKS}) tasks"""
_TASKS_DONE = text(
    f"""
UPDATE dunning.invoices i SET
  steps_done = ARRAY(SELECT DISTINCT s FROM unnest(i.steps_done || u.step_id) s ORDER BY s),
  stopped_by_action = i.stopped_by_action OR u.is_action
FROM {TASK_ITEMS} t,
     LATERAL (SELECT t.step_id, t.invoice_id = ANY(t.action_invoice_ids) AS is_action) u
WHERE i.tenant_id = :tenant_id AND i.id = t.invoice_id"""
)
_TASKS_NOT_PENDING = text(
    pending.clear_query(f"SELECT CAST(:tenant_id AS uuid) AS tenant_id, invoice_id, step_id FROM {TASK_ITEMS}")
)


def task_payloads_query(source: str = RUN_TASKS) -> str:
    """``payloads.task`` in SQL for the tasks of ``source`` (a query of dispatch rows): title in the customer's
    language, a line per item, the channels' problems."""
    slots = ", ".join(f"s.ch{n}" for n in CHANNEL_SLOTS)
    lines = f"""(SELECT string_agg(i.number || ': ' || CAST(i.open_amount AS text) || ' ' || i.currency || ', due '
                          || to_char(i.due_date, 'YYYY-MM-DD') || ' (' || s.describe || '; channels tried: '
                          || concat_ws(', ', {slots}) || ')',
                          E'\\n' ORDER BY i.due_date, i.number COLLATE "C", i.id)
        FROM unnest(t.invoice_ids, t.step_ids) AS u(invoice_id, step_id)
        JOIN dunning.invoices i ON i.tenant_id = t.tenant_id AND i.id = u.invoice_id
        JOIN step_rows s ON s.step_id = u.step_id)"""
    problem = """CASE WHEN x.ch = ANY(c.opted_out_channels) THEN 'opted out'
                      WHEN NOT EXISTS (SELECT 1 FROM jsonb_array_elements(c.contacts) e WHERE e->>'channel' = x.ch)
                      THEN 'no contact' ELSE 'every contact invalid' END"""
    problems = f"""(SELECT string_agg(DISTINCT (x.ch || ': ' || {problem}) COLLATE "C", '; '
                          ORDER BY (x.ch || ': ' || {problem}) COLLATE "C")
        FROM unnest(t.step_ids) AS u(step_id) JOIN step_rows s ON s.step_id = u.step_id,
             unnest(ARRAY[{slots}]) AS x(ch)
        WHERE x.ch IS NOT NULL)"""
    return f"""
WITH {STEP_ROWS.strip()},
titles AS (SELECT * FROM unnest(CAST(:title_lang AS text[]), CAST(:title_text AS text[])) AS x(lang, title))
SELECT jsonb_build_object(
  'idempotency_key', t.idempotency_key, 'customer_id', CAST(t.customer_id AS text),
  'title', left(replace(coalesce(
      (SELECT title FROM titles WHERE lang = coalesce(nullif(c.language, ''), CAST(:language AS text))),
      (SELECT title FROM titles WHERE lang = 'en')), '{{name}}', c.name), 300),
  'description', {lines} || E'\\n\\n' || {problems},
  'assignee_id', NULL, 'due_date', CAST(:as_of_text AS text), 'source', 'dunning') AS payload
FROM ({source}) t JOIN dunning.customers c ON c.tenant_id = t.tenant_id AND c.id = t.customer_id
WHERE t.channel IS NULL AND t.kind <> 'call'"""


_CREATE_TASKS = text(outbox_insert(CreateTask, task_payloads_query()))


def message_params(tenant: TenantContext, as_of: date) -> dict[str, Any]:
    """What the message queries need besides their rows."""
    return {
        "tenant_id": tenant.tenant_id,
        "as_of": as_of,
        "as_of_text": as_of.isoformat(),
        "language": tenant.language or "es",
    }


def task_params(tenant: TenantContext, as_of: date, plan: dict[str, Any]) -> dict[str, Any]:
    """``task_payloads_query``'s parameters: the plan's steps (``plan``: ``plan_params``) and the titles."""
    return {
        **{k: v for k, v in plan.items() if k.startswith("st_")},
        **message_params(tenant, as_of),
        "title_lang": list(payloads.TASK_TITLES),
        "title_text": list(payloads.TASK_TITLES.values()),
    }


def call_payloads_query(source: str = RUN_CALLS) -> str:
    """Each call of ``source`` (a query of dispatch rows of kind ``call``) as a ``CallTask``: the position a message
    would carry (``communications_query``), the step's script and key, the customer's collector and the day.
    Columns: dispatch id, customer id, payload (jsonb)."""
    return f"""
WITH scripts AS (SELECT * FROM unnest(CAST(:st_step AS uuid[]), CAST(:st_script AS text[])) AS x(step_id, script))
SELECT t.id, t.customer_id, CAST(b.payload AS jsonb) || jsonb_build_object(
  'customer_id', t.customer_id, 'assignee_id', c.collector_id, 'due_date', CAST(:as_of_text AS text),
  'step_key', t.step_keys[1], 'script', x.script) AS payload
FROM ({source}) t
JOIN ({communications_query(source)}) b ON b.id = t.id
JOIN dunning.customers c ON c.tenant_id = t.tenant_id AND c.id = t.customer_id
JOIN scripts x ON x.step_id = t.step_ids[1]"""


_PREPARE_CALLS = text(
    outbox_insert(
        PrepareCallTasks,
        f"""
SELECT jsonb_build_object('calls', jsonb_agg(payload ORDER BY n)) AS payload
FROM (SELECT payload, row_number() OVER (ORDER BY customer_id, id) - 1 AS n
      FROM ({call_payloads_query()}) built) numbered
GROUP BY n / :batch""",
    )
)


async def hand_over_tasks(
    session: AsyncSession, tenant: TenantContext, as_of: date, plan: dict[str, Any], command_batch_size: int = 500
) -> None:
    """The tasks the run just planned: their steps done, one ``CreateTask`` per unreachable customer, and the call
    steps' calls to messaging (``PrepareCallTasks``, ``command_batch_size`` calls a command)."""
    params = {"tenant_id": tenant.tenant_id, "run_id": plan["run_id"]}
    # counted first, as a part's pending marks are (``hand_over_part``): guessed at 10 rows a task, the pairs of
    # 1,100 tasks made the planner hash the tenant's million invoices (560 ms of the serial plan), now found by key
    await analyzed_table(session, TASK_ITEMS, _TASK_ITEMS, params)
    await session.execute(_TASKS_DONE, params)
    await session.execute(_TASKS_NOT_PENDING, params)
    await session.execute(_CREATE_TASKS, {**task_params(tenant, as_of, plan), "run_id": plan["run_id"]})
    if "call" not in plan.get("st_kind", ()):
        return  # no strategy has a call step: nothing to ask
    steps = {k: v for k, v in plan.items() if k in ("st_step", "st_script")}
    batch = max(1, command_batch_size)
    await session.execute(_PREPARE_CALLS, {**params, **steps, **message_params(tenant, as_of), "batch": batch})


# --------------------------------------------------------------------------------------------- a dry run

POSITION_KEYS = ("invoices", "totals", "open_totals", "credits", "overdue_count", "oldest_days_overdue")


def _shown_query(table: str) -> str:
    first = f"SELECT * FROM {table} ORDER BY customer_id, channel NULLS LAST LIMIT :limit"
    return f"""
WITH shown AS ({first}),
-- built once: over the plan's table (no statistics) the planner built every message again for each row shown
built AS MATERIALIZED ({communications_query("SELECT * FROM shown WHERE channel IS NOT NULL")})
SELECT s.customer_id, c.name, s.channel, s.address, s.kind, s.tone, s.action, s.idempotency_key, s.strategy_id,
       (SELECT jsonb_agg(jsonb_build_object('invoice_id', i.id, 'number', i.number, 'step_key', u.step_key,
                                            'days_overdue', CAST(:as_of AS date) - i.due_date,
                                            'open_amount', CAST(i.open_amount AS text), 'currency', i.currency)
                         ORDER BY u.n)
        FROM unnest(s.invoice_ids, s.step_keys) WITH ORDINALITY AS u(invoice_id, step_key, n)
        JOIN dunning.invoices i ON i.tenant_id = s.tenant_id AND i.id = u.invoice_id) AS invoices,
       b.payload
FROM shown s
JOIN dunning.customers c ON c.tenant_id = s.tenant_id AND c.id = s.customer_id
LEFT JOIN built b ON b.id = s.id
ORDER BY s.customer_id, s.channel NULLS LAST"""


@dataclass(frozen=True, slots=True)
class ShownRow:
    """One of the first entries of a dry run's plan: the dispatch row, its customer's name, its invoices (JSON:
    id, number, step key, days overdue, open amount, currency) and, for a message, the payload it would carry."""

    customer_id: uuid.UUID
    name: str
    channel: str | None
    address: str | None
    kind: str
    tone: int
    action: str | None
    idempotency_key: str
    strategy_id: uuid.UUID
    invoices: list[dict[str, Any]] | None
    payload: dict[str, Any] | None


async def shown(session: AsyncSession, tenant: TenantContext, as_of: date, table: str, limit: int) -> list[ShownRow]:
    """The first ``limit`` entries of a dry run's plan (in ``table``), each message with the payload it states."""
    params = {**message_params(tenant, as_of), "limit": limit}
    return [ShownRow(**row) for row in (await session.execute(text(_shown_query(table)), params)).mappings()]
