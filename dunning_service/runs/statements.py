"""A run as a few SQL statements over the whole portfolio (issue 13): no Python per invoice or per customer. This
module only BUILDS the plan's SQL text and parameters; ``plan_repository.py`` and ``handover_repository.py`` run
them.

1. **Plan** (``plan_select``, written by ``plan_repository.plan_table`` and ``plan_into``): the due selection
   (``selection.due_query``), each item's channel and address, the grouping into one communication per customer
   and channel (one task per customer for the items no channel reaches), each with its idempotency key, kind, tone
   and action, written by one ``CREATE TEMP TABLE ... AS`` (which PostgreSQL may scan in parallel: an
   ``INSERT ... SELECT`` it never does). Each row gets its *part* (a hash of the customer) so workers can share
   the hand-over. A dry run's table gets its messages' final tone at once (``with_ages``); a real run copies its
   tasks into the dispatches and its messages into ``dunning.planned_messages``, where they wait for their part.
2. **Tasks** (``handover_repository.hand_over_tasks``, with the plan): the steps of unreachable items done, one
   ``CreateTask`` each; the call steps' items (grouped apart: one task per customer and call step, issue 18) done,
   and their calls to messaging (``PrepareCallTasks``, each with the customer's whole position, as a message's),
   which renders the scripts and asks receivables for the tasks.
3. **Hand-over of a part** (``handover_repository.hand_over_part``): the part's dispatches written (``ON CONFLICT
   DO NOTHING``: a key already handed over is skipped) with their final tone, its steps marked pending
   (``pending``) and its ``SendDispatchedCommunications`` commands naming them, in batches of ``command_batch_size``,
   into the outbox; each message, the customer's whole position built by the server (JSON aggregation), when
   messaging asks for it (``handover_repository.dispatched_communications``).

The pure rules stay the reference: ``plan_customer`` (grouping, channel, tone, key), ``position`` and
``payloads.communication`` (the message). ``tests/dunning/test_selection_agrees.py`` holds these statements to
them on random portfolios, dispatch by dispatch and payload by payload.
"""

import uuid
from datetime import date
from typing import Any

from dunning_service.runs import selection
from dunning_service.runs.context import TenantContext
from dunning_service.runs.selection import OWED
from dunning_service.strategies.rules import COMMUNICATION_KIND, KIND_RANK
from shared.contracts.common import Channel
from shared.contracts.messaging import FIRM_TONE, TONE_AGES
from shared.ids import uuid7_head

CHANNEL_SLOTS = range(1, len(Channel) + 1)  # a step lists each channel at most once
DISPATCHES = "dunning.dispatches"
# The tasks of the run being planned (written by its plan in the same transaction): the unreachable items' and the
# call steps' (``kind = 'call'``); both have their steps done with the plan.
RUN_TASKS = f"SELECT * FROM {DISPATCHES} WHERE tenant_id = :tenant_id AND run_id = :run_id AND channel IS NULL"
RUN_CALLS = f"{RUN_TASKS} AND kind = 'call'"
# Memory for the sorts and hashes of one run statement (the server's default, 4 MB, spills a million due items to
# disk): one statement per run or part at a time, so a few of these at once at most.
RUN_WORK_MEM = "128MB"


DISPATCH_COLUMNS = (
    "id, tenant_id, run_id, customer_id, as_of, idempotency_key, channel, address, kind, tone, action, state, "
    "strategy_id, invoice_ids, step_ids, step_keys, action_invoice_ids, part"
)
# The plan's columns: a dispatch's and ``aged``, whether the customer's oldest debt may still raise the tone
# (``final_tones``)
PLAN_COLUMNS = f"{DISPATCH_COLUMNS}, aged"
PLANNED_MESSAGES = "dunning.planned_messages"
# A planned row's id: a version-7 UUID of the run's plan (``:id_head``, ``shared.ids.uuid7_head``) ending in a random
# UUID's bits, so the run's dispatches go to the right edge of the indexes by id (the key, the run's) rather than
# to random pages of them
TIME_ORDERED_ID = "CAST(CAST(:id_head AS text) || substr(CAST(gen_random_uuid() AS text), 16) AS uuid)"


def _tone_by_age(age: str) -> str:
    """``shared.contracts.messaging.tone_by_age`` as a SQL expression over ``age``."""
    whens = " ".join(f"WHEN {age} <= {limit} THEN {tone}" for limit, tone in TONE_AGES)
    return f"CASE WHEN {age} IS NULL THEN {TONE_AGES[0][1]} {whens} ELSE {FIRM_TONE} END"


def _raised(tone: str, age: str) -> str:
    """``tone`` raised to what a debt ``age`` days overdue calls for (``plan_customer``'s rule)."""
    return f"greatest({tone}, {_tone_by_age(age)})"


def _kind_of_rank(rank: str) -> str:
    """The step kind of a ``KIND_RANK`` (one kind per rank): the highest kind among a message's items."""
    whens = " ".join(f"WHEN {n} THEN '{kind.value}'" for kind, n in KIND_RANK.items())
    return f"CASE {rank} {whens} END"


def communication_kind_sql(kind: str) -> str:
    """``COMMUNICATION_KIND`` as a SQL expression over a step kind."""
    whens = " ".join(f"WHEN '{step.value}' THEN '{kind_.value}'" for step, kind_ in COMMUNICATION_KIND.items())
    return f"CASE {kind} {whens} END"


STEP_ROWS = f"""
step_rows AS (
  SELECT * FROM unnest(CAST(:st_k AS int[]), CAST(:st_idx AS int[]), CAST(:st_step AS uuid[]),
                       CAST(:st_strategy AS uuid[]), CAST(:st_key AS text[]), CAST(:st_kind AS text[]),
                       CAST(:st_days AS int[]), CAST(:st_tone AS int[]), CAST(:st_pin AS boolean[]),
                       CAST(:st_action AS text[]), CAST(:st_rank AS int[]), CAST(:st_describe AS text[]),
                       {", ".join(f"CAST(:st_ch{n} AS text[])" for n in CHANNEL_SLOTS)})
    AS s(k, idx, step_id, strategy_id, step_key, step_kind, step_days, step_tone, pin, step_action, step_rank,
         describe, {", ".join(f"ch{n}" for n in CHANNEL_SLOTS)})
)"""

# A message's items in order (``plan_customer``): by due date, number and invoice id.
_GROUP = "customer_id, channel, address, call_step"
_ITEM_ORDER = 'due_date, number COLLATE "C", invoice_id'


def plan_select(compiled: selection.CompiledStrategies) -> str:
    """The plan of the day, ``PLAN_COLUMNS`` as a query: one row per communication and per task, as
    ``plan_customer`` groups them (its keys unique by construction), each with its steps' tone raised already by its
    own items' age (the customer's oldest debt is at least that old), and ``aged`` where the customer's oldest debt
    may raise it further (``final_tones``): not once it is firm, so most messages need no look-up of the customer's
    other invoices (in a catch-up run nearly none). The key's digest is ``communication_key``'s: sha256 of the
    sorted ``invoice:step`` pairs."""
    raised = _raised("g.step_tone", "g.own_age")  # by the message's own items (``own_age``)
    first_reachable = " ".join(f"WHEN d.addresses ->> s.ch{n} IS NOT NULL THEN s.ch{n}" for n in CHANNEL_SLOTS)
    return f"""
WITH due AS MATERIALIZED ({selection.due_query(compiled)}),
{STEP_ROWS},
items AS (
  SELECT d.id AS invoice_id, d.customer_id, d.number, d.due_date, s.*, ch.channel,
         d.addresses ->> ch.channel AS address,  -- ``first_addresses``, kept by the projection
         CASE WHEN s.step_kind = 'call' THEN s.step_id END AS call_step  -- one task per customer and call step
  FROM due d
  JOIN step_rows s ON s.k = d.k AND s.idx = d.step_index
  CROSS JOIN LATERAL (SELECT CASE {first_reachable} END AS channel) ch
),
grouped AS (
  -- The items come sorted, each group's in the message's order, and the arrays take them as they come: one sort of
  -- the whole plan instead of one per aggregate and group (PostgreSQL 15 sorts each ``array_agg(... ORDER BY)``
  -- apart: 1.3 s for a Monday at 1M). ``due`` is a materialized CTE, so this part never runs in parallel workers,
  -- whose partial arrays would be joined in any order. Only the key's pairs have an order of their own.
  SELECT {_GROUP},
         string_agg(CAST(i.invoice_id AS text) || ':' || CAST(i.step_id AS text), '|'
                    ORDER BY (CAST(i.invoice_id AS text) || ':' || CAST(i.step_id AS text)) COLLATE "C") AS pairs,
         {_kind_of_rank("max(i.step_rank)")} AS kind,
         max(i.step_tone) AS step_tone,
         -- the days overdue of the message's own oldest overdue item: a lower bound of the customer's oldest debt
         max(CAST(:as_of AS date) - i.due_date) FILTER (WHERE i.due_date < CAST(:as_of AS date)) AS own_age,
         bool_or(i.pin) AS pinned,
         max(i.step_action) AS action,  -- a strategy has at most one action step (the last)
         -- the first item's strategy: a message may mix the customer's and the payment plans' (issue 19), each
         -- item's own is its step's (``step_ids``)
         (array_agg(i.strategy_id))[1] AS strategy_id,
         array_agg(i.invoice_id) AS invoice_ids,
         array_agg(i.step_id) AS step_ids,
         array_agg(i.step_key) AS step_keys,
         coalesce(array_agg(i.invoice_id) FILTER (WHERE i.step_kind = 'action'), CAST('{{}}' AS uuid[]))
           AS action_invoice_ids
  FROM (SELECT * FROM items ORDER BY {_GROUP}, {_ITEM_ORDER}) i
  GROUP BY {_GROUP}
)
SELECT {TIME_ORDERED_ID}, CAST(:tenant_id AS uuid), CAST(:run_id AS uuid), g.customer_id, CAST(:as_of AS date),
       'dunning:' || CAST(g.customer_id AS text) || ':'
         || coalesce(g.channel, CASE WHEN g.call_step IS NULL THEN 'task' ELSE 'call' END) || ':'
         || CAST(:as_of_text AS text) || ':' || left(encode(sha256(convert_to(g.pairs, 'UTF8')), 'hex'), 20),
       g.channel, g.address, g.kind,
       CASE WHEN g.channel IS NOT NULL AND NOT g.pinned THEN {raised} ELSE g.step_tone END,
       g.action, CASE WHEN g.channel IS NULL THEN 'task' ELSE 'pending' END, g.strategy_id,
       g.invoice_ids, g.step_ids, g.step_keys, g.action_invoice_ids,
       mod(mod(hashtextextended(CAST(g.customer_id AS text), 0), :parts) + :parts, :parts),
       g.channel IS NOT NULL AND NOT g.pinned AND {raised} < {FIRM_TONE}
FROM grouped g"""


def final_tones(columns: str, source: str) -> str:
    """``columns`` (of ``PLAN_COLUMNS``) of the planned rows of ``source`` (a table or CTE), each message's tone made
    final (``plan_customer``): raised to what its customer's oldest overdue demanded invoice calls for
    (``Position.oldest_days_overdue``) where ``aged`` says it may (a task's, a pinned or an already firm tone
    stays). The oldest debt is one probe of the customer's dunnable invoices by due date per such row
    (``ix_invoices_customer_dunnable``, migration 0050): grouping all the customers' open invoices instead was a
    serial scan of the portfolio (0.5-0.6 s of a 1M dry run). A dry run's plan (``with_ages``) and a real run's
    parts (``handover_repository.hand_over_part``) read it."""
    selected = ", ".join(
        f"CASE WHEN p.aged THEN {_raised('p.tone', 'ages.age')} ELSE p.tone END AS tone" if c == "tone" else f"p.{c}"
        for c in columns.split(", ")
    )
    return f"""
SELECT {selected}
FROM {source} p
LEFT JOIN LATERAL (
  SELECT CAST(:as_of AS date) - min(due_date) AS age
  FROM dunning.invoices  -- its columns unqualified (``OWED``): the innermost FROM is searched first
  WHERE p.aged AND tenant_id = :tenant_id AND customer_id = p.customer_id AND status = 'normal' AND {OWED}
    AND due_date < CAST(:as_of AS date)
) ages ON true"""


def with_ages(plan: str) -> str:
    """``plan`` (a query of ``PLAN_COLUMNS``) with its final tones (``final_tones``): a dry run's."""
    return f"WITH p AS MATERIALIZED ({plan}) {final_tones(PLAN_COLUMNS, 'p')}"


def plan_params(
    tenant: TenantContext,
    run_id: uuid.UUID,
    as_of: date,
    compiled: selection.CompiledStrategies,
    pending_cutoff: Any,
    parts: int,
) -> dict[str, Any]:
    return {
        **selection.base_params(
            tenant.tenant_id, as_of, compiled, tenant.tolerances, pending_cutoff, tenant.reply_pause_days
        ),
        "run_id": run_id,
        "id_head": uuid7_head(),
        "as_of_text": as_of.isoformat(),
        "parts": max(1, parts),
    }
