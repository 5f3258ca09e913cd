"""The portfolio-wide selection of due invoices: one SQL statement, whatever the portfolio's size.

It mirrors the pure rules (``strategies/rules.py``, ``runs/rules.py``, ``projection/rules.py``): strategy
selection becomes a ``CASE`` over the customers in priority order, the highest reached step a ``width_bucket``
over the strategy's sorted offsets (catch-up for free), "not yet had" an array overlap with the invoice's steps
done and pending.
The run's statements (``runs/statements.py``) build the plan on it, in the server.
"""

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dunning_service.experiments.rules import InForce
from dunning_service.projection.rules import CLOSED_STATUSES
from dunning_service.runs import pending
from dunning_service.strategies.installments import plan_strategy
from dunning_service.strategies.rules import (
    KIND_RANK,
    Match,
    StepKind,
    Strategy,
    default_strategy,
    selection_order,
)
from shared.contracts.common import Channel, InvoiceStatus

# The statuses of an open invoice (``InvoiceView.is_open``) and an invoice owed and listed by receivables, not
# a credit note (``in_position`` but its status), as SQL: the selection, the run's statements and the
# fallback's positions read them here.
OPEN_STATUSES = "(" + ", ".join(f"'{s.value}'" for s in InvoiceStatus if s not in CLOSED_STATUSES) + ")"
OWED = "kind <> 'credit_note' AND NOT missing_upstream AND open_amount > 0"
# What dunning keeps from receivables' listing (the resync): the open statuses and ``in_plan`` (issue 19).
LISTED = [s for s in InvoiceStatus if s not in CLOSED_STATUSES or s == InvoiceStatus.IN_PLAN]
LISTED_STATUSES = "(" + ", ".join(f"'{s.value}'" for s in LISTED) + ")"
# An installment of a payment plan (``installments.follows_plan``), over the invoice ``i``.
INSTALLMENT = "i.kind = 'installment' AND i.plan_id IS NOT NULL"


@dataclass
class CompiledStrategies:
    """Strategies turned into SQL. Each strategy gets a number ``k`` (its place in the selection order); a
    ``CASE`` over the customer's attributes yields ``k``, and per-row ``CASE k`` expressions (``per_k``) yield the
    strategy's step ids and sorted offsets as constant arrays: no join on a table of strategies, so the planner
    never mistakes the portfolio for a handful of rows (the due selection's one join on ``k`` is ``due_query``'s)."""

    case_sql: str
    k_sql: str  # the invoice's strategy number: the customer's (``cu.k``), or the plans' for an installment
    # per constant (``ids``: the step ids, ``offs``: the sorted offsets, ``has_new``: whether the first step is a new
    # invoice's), a ``WHEN k THEN`` branch per strategy that sends automatic messages
    whens: dict[str, list[str]]
    uses_amount: bool
    params: dict[str, Any] = field(default_factory=dict)
    by_id: dict[uuid.UUID, Strategy] = field(default_factory=dict)
    by_k: dict[int, Strategy] = field(default_factory=dict)
    steer_sql: str | None = None  # the experiments in force (``_steering``); None: the match alone decides
    # one strategy for every invoice (no match conditions, no payment plans, no experiment): ``k_sql`` is a constant
    k_constant: bool = False

    def per_k(self, constant: str, k: str | None = None) -> str:
        """``constant`` (a key of ``whens``) of the strategy numbered ``k`` (an expression; by default the invoice's,
        ``k_sql``); NULL for a strategy that sends nothing automatically."""
        branches = self.whens[constant]
        return f"CASE {k or self.k_sql} {' '.join(branches)} END" if branches else "NULL"


def _steering(in_force: InForce, k_of: dict[uuid.UUID, int], params: dict[str, Any]) -> str | None:
    """``experiments.rules.steer`` in SQL: the customer's assignment in the first experiment in force whose strategy
    is live (a join on a handful of constant rows), else the scope strategies redirected by a stop, else ``k0``
    (the match's choice, ``case_sql``)."""
    rows = [(e, key, k_of[s.strategy_id]) for (e, key), s in in_force.variants.items() if s.strategy_id in k_of]
    rank = {e: n for n, e in enumerate(in_force.order)}
    redirects = [
        (k_of[scope], k_of[s.strategy_id])
        for scope, s in in_force.redirects.items()
        if scope in k_of and s.strategy_id in k_of
    ]
    if not rows and not redirects:
        return None
    params.update(
        xm_exp=[e for e, _, _ in rows],
        xm_key=[key for _, key, _ in rows],
        xm_k=[k for _, _, k in rows],
        xm_rank=[rank[e] for e, _, _ in rows],
        xm_exps=sorted({e for e, _, _ in rows}, key=str),
    )
    whens = " ".join(f"WHEN {a} THEN {b}" for a, b in redirects)
    return f"coalesce(xa.k, CASE m.k0 {whens} ELSE m.k0 END)" if redirects else "coalesce(xa.k, m.k0)"


# The assignments steering the selection (``_steering``'s parameters): the first in precedence per customer.
_ASSIGNED = """
  LEFT JOIN (
    SELECT DISTINCT ON (a.customer_id) a.customer_id, xm.k
    FROM dunning.experiment_assignments a
    JOIN unnest(CAST(:xm_exp AS uuid[]), CAST(:xm_key AS text[]), CAST(:xm_k AS int[]), CAST(:xm_rank AS int[]))
         AS xm(experiment_id, variant_key, k, rank)
      ON xm.experiment_id = a.experiment_id AND xm.variant_key = a.variant_key
    WHERE a.tenant_id = :tenant_id AND a.experiment_id = ANY(CAST(:xm_exps AS uuid[]))
    ORDER BY a.customer_id, xm.rank
  ) xa ON xa.customer_id = c.id"""


def _condition(match: Match, n: int, params: dict[str, Any]) -> str:
    parts: list[str] = []

    def bind(name: str, value: Any) -> str:
        params[f"m{n}_{name}"] = value
        return f":m{n}_{name}"

    if match.vip is not None:
        parts.append(f"c.vip = {bind('vip', match.vip)}")
    if match.segments is not None:
        segments = sorted({s.strip().lower() for s in match.segments})
        parts.append(f"lower(c.segment) = ANY(CAST({bind('seg', segments)} AS text[]))")
    if match.risk_levels is not None:
        parts.append(f"c.risk_level = ANY(CAST({bind('risk', list(match.risk_levels))} AS text[]))")
    if match.computed_risk_levels is not None:
        levels = list(match.computed_risk_levels)
        parts.append(f"c.computed_risk_level = ANY(CAST({bind('crisk', levels)} AS text[]))")
    if match.tags_any is not None:
        tags = sorted({t.strip().lower() for t in match.tags_any})
        parts.append(f"c.tags && CAST({bind('tany', tags)} AS text[])")
    if match.tags_all is not None:
        tags = sorted({t.strip().lower() for t in match.tags_all})
        parts.append(f"c.tags @> CAST({bind('tall', tags)} AS text[])")
    if match.countries is not None:
        countries = sorted({c.upper() for c in match.countries})
        parts.append(f"upper(c.country) = ANY(CAST({bind('ctry', countries)} AS text[]))")
    if match.uses_amount:
        amount = f"coalesce(CAST(ov.amounts ->> CAST({bind('cur', match.amount_currency)} AS text) AS numeric), 0)"
        if match.amount_min is not None:
            parts.append(f"{amount} >= CAST({bind('min', str(match.amount_min))} AS numeric)")
        if match.amount_max is not None:
            parts.append(f"{amount} <= CAST({bind('max', str(match.amount_max))} AS numeric)")
    return " AND ".join(parts) or "true"


def compile_strategies(strategies: list[Strategy], in_force: InForce | None = None) -> CompiledStrategies:
    """The same choice as ``select_strategy`` (steered by the experiments ``in_force``, as ``steer``): the order is
    decided once, in Python, for both."""
    params: dict[str, Any] = {}
    ordered = selection_order(strategies)
    default = default_strategy(strategies)
    plans = plan_strategy(strategies)
    chosen = [*ordered, *([default] if default else [])]
    by_k = {k: s for k, s in enumerate(chosen, start=1)}
    whens = [f"WHEN {_condition(s.match, k, params)} THEN {k}" for k, s in by_k.items() if s is not default]
    fallback = str(len(chosen)) if default else "NULL"
    case_sql = f"CASE {' '.join(whens)} ELSE {fallback} END" if whens else fallback
    k_sql = "cu.k"
    if plans is not None:  # issue 19: never a customer's (not in the CASE); an installment's, per invoice
        by_k[len(chosen) + 1] = plans
        k_sql = f"(CASE WHEN {INSTALLMENT} THEN {len(chosen) + 1} ELSE cu.k END)"
        chosen.append(plans)
    # manual-only strategies win their customers in the CASE but have no steps, so their invoices drop out
    automatic = {k: s for k, s in by_k.items() if not s.manual_only and s.steps}
    ids, offs, has_new = [], [], []
    for k, s in automatic.items():
        params[f"ids_{k}"] = [step.id for step in s.steps]
        params[f"offs_{k}"] = [step.offset for step in s.steps if step.kind != StepKind.NEW_INVOICE]
        ids.append(f"WHEN {k} THEN CAST(:ids_{k} AS uuid[])")
        offs.append(f"WHEN {k} THEN CAST(:offs_{k} AS int[])")
        has_new.append(f"WHEN {k} THEN {'true' if s.steps[0].kind == StepKind.NEW_INVOICE else 'false'}")
    rows = [(k, idx, step) for k, s in automatic.items() for idx, step in enumerate(s.steps)]
    params.update(
        st_k=[k for k, _, _ in rows],
        st_idx=[idx for _, idx, _ in rows],
        st_step=[step.id for _, _, step in rows],
        st_kind=[step.kind.value for _, _, step in rows],
        st_off=[step.offset or 0 for _, _, step in rows],
        # what a run's statements need of each step (runs/statements.py)
        st_strategy=[by_k[k].id for k, _, _ in rows],
        st_key=[step.key for _, _, step in rows],
        st_days=[step.days for _, _, step in rows],
        st_tone=[step.tone for _, _, step in rows],
        st_pin=[step.pin_tone for _, _, step in rows],
        st_action=[step.action.value if step.action else None for _, _, step in rows],
        st_rank=[KIND_RANK[step.kind] for _, _, step in rows],
        st_describe=[step.describe() for _, _, step in rows],
        st_script=[step.script for _, _, step in rows],  # call steps' scripts (the run's calls to messaging)
        **{
            f"st_ch{n}": [step.channels[n - 1].value if len(step.channels) >= n else None for _, _, step in rows]
            for n in range(1, len(Channel) + 1)
        },
    )

    params["k_automatic"] = list(automatic)  # the numbers ``due_query`` joins on
    # a customer's strategies only (as ``steer``'s live ones): never the payment plans', which follows invoices
    steer_sql = _steering(in_force, {s.id: k for k, s in by_k.items() if s is not plans}, params) if in_force else None
    return CompiledStrategies(
        case_sql=case_sql,
        k_sql=k_sql,
        whens={"ids": ids, "offs": offs, "has_new": has_new},
        uses_amount=any(s.match.uses_amount for s in ordered),
        params=params,
        by_id={s.id: s for s in chosen},
        by_k=by_k,
        steer_sql=steer_sql,
        k_constant=not whens and plans is None and steer_sql is None,
    )


# The strategies' steps as rows (forecast): one per step, with its strategy's number k.
STEPS_CTE = """
steps AS (
  SELECT * FROM unnest(CAST(:st_k AS int[]), CAST(:st_idx AS int[]), CAST(:st_step AS uuid[]),
                       CAST(:st_kind AS text[]), CAST(:st_off AS int[])) AS s(k, idx, step_id, kind, off)
)"""


def _overdue(only: str = "") -> str:
    return f"""
ov AS (
  SELECT customer_id, jsonb_object_agg(currency, total) AS amounts
  FROM (SELECT customer_id, currency, sum(open_amount) AS total FROM dunning.invoices
        WHERE tenant_id = :tenant_id AND status IN {OPEN_STATUSES}
          AND kind <> 'credit_note' AND NOT missing_upstream AND due_date < CAST(:as_of AS date)
          {f"AND customer_id {only}" if only else ""}
        GROUP BY customer_id, currency) per_currency
  GROUP BY customer_id
)"""


def customers_cte(compiled: CompiledStrategies, extra_columns: str = "", only: str = "") -> str:
    """Each customer's strategy number ``k``; ``only``: a condition on the customer's id that keeps a few (``IN
    (...)``: the late charges' candidates)."""
    join = "LEFT JOIN ov ON ov.customer_id = c.id" if compiled.uses_amount else ""
    where = f"WHERE c.tenant_id = :tenant_id AND NOT c.deleted {f'AND c.id {only}' if only else ''}"
    if compiled.steer_sql:
        return f"""
cust AS (
  SELECT c.id, {compiled.steer_sql} AS k {extra_columns}
  FROM dunning.customers c {join}
  CROSS JOIN LATERAL (SELECT {compiled.case_sql} AS k0) m {_ASSIGNED}
  {where}
)"""
    return f"""
cust AS (
  SELECT c.id, {compiled.case_sql} AS k {extra_columns}
  FROM dunning.customers c {join}
  {where}
)"""


def match_with(compiled: CompiledStrategies) -> str:
    """``WITH`` each customer's strategy number ``k`` by the match alone (an experiment's population)."""
    ctes = [_overdue()] if compiled.uses_amount else []
    return "WITH " + ",".join([*ctes, customers_cte(replace(compiled, steer_sql=None))])


# The filters every reminder passes (``invoice_exclusion``): open and normal, not a credit note, owed,
# not below the currency's tolerance, no open action item, no action notice yet.
CANDIDATE_FILTER = """
  i.tenant_id = :tenant_id AND i.status = 'normal' AND i.kind <> 'credit_note' AND NOT i.missing_upstream
  AND NOT i.stopped_by_action AND i.open_amount > 0
  AND i.open_amount >= coalesce(tol.amount, 0)
  AND NOT EXISTS (SELECT 1 FROM blocked b WHERE b.id = i.id)"""

_COMMON = """
tol AS (SELECT * FROM unnest(CAST(:tol_cur AS text[]), CAST(:tol_amt AS numeric[])) AS t(currency, amount)),
blocked AS (
  SELECT DISTINCT unnest(invoice_ids) AS id FROM dunning.action_items
  WHERE tenant_id = :tenant_id AND status = 'open'
)"""


def with_clause(compiled: CompiledStrategies, customer_columns: str = "", steps: bool = False, only: str = "") -> str:
    """The selection's common CTEs and ``cust``; ``only`` keeps a few customers (``customers_cte``)."""
    ctes = [STEPS_CTE] if steps else []
    ctes.append(_COMMON)
    if compiled.uses_amount:
        ctes.append(_overdue(only))
    ctes.append(customers_cte(compiled, customer_columns, only))
    return "WITH " + ",".join(ctes)


def due_query(compiled: CompiledStrategies) -> str:
    """Every invoice due a step, with its strategy's number ``k``, the step's index and its customer's first
    addresses (``first_addresses``, read with the customer's strategy: the plan needs no second pass over the
    customers), unordered (the plan groups it).

    The invoice's strategy number is joined (``kx``, the automatic strategies' numbers), not computed where it is
    read: PostgreSQL writes an inlined expression out again at each reference, and the customer's strategy
    ``CASE`` ran a dozen times a row (the due selection at 1M: 0.76 s against 0.99 s; a dry run's plan 1.6-1.85 s
    against 1.7-2.6 s). The join is estimated at a fiftieth of its rows, harmless where it runs: the plan
    materializes ``due`` and plans with nested loops off (``plan_repository.plan_table``). Not when every invoice
    has the same strategy (``k_constant``): the planner folds the constant, and a join on it became a cross join
    that lost the parallel scan (the 100k catch-up's plan 0.9-1.16 s against 0.74-0.89 s)."""
    k = compiled.k_sql if compiled.k_constant else "kx.k"
    joined = f"JOIN unnest(CAST(:k_automatic AS int[])) AS kx(k) ON kx.k = {compiled.k_sql}"
    join = "" if compiled.k_constant else joined
    return f"""{with_clause(compiled, ", c.replied_on, c.addresses")},
cand AS (
  SELECT i.id, i.customer_id, i.external_id, i.number, i.kind, i.currency, i.amount, i.open_amount,
         i.issue_date, i.due_date, i.status, i.document_url, i.steps_done, {pending.COLUMNS}, cu.addresses,
         {k} AS k, {compiled.per_k("ids", k)} AS ids, {compiled.per_k("offs", k)} AS offs,
         {compiled.per_k("has_new", k)} AS has_new
  FROM dunning.invoices i
  JOIN cust cu ON cu.id = i.customer_id
  {join}
  LEFT JOIN tol ON tol.currency = i.currency
  {pending.JOIN}
  WHERE {CANDIDATE_FILTER} AND i.issue_date <= CAST(:as_of AS date)
    AND NOT coalesce(cu.replied_on + CAST(:reply_pause_days AS int) > CAST(:as_of AS date), false)
),
counted AS (
  SELECT cand.*, coalesce(width_bucket(CAST(:as_of AS date) - due_date, offs), 0) AS n
  FROM cand WHERE ids IS NOT NULL
),
tgt AS (
  SELECT counted.*,
         CASE WHEN n > 0 AND (offs[n] > 0 OR CAST(:as_of AS date) <= due_date) THEN n + has_new::int
              WHEN n = 0 AND has_new AND CAST(:as_of AS date) BETWEEN issue_date AND due_date THEN 1
         END AS pos
  FROM counted
)
SELECT id, customer_id, external_id, number, kind, currency, amount, open_amount, issue_date, due_date, status,
       document_url, addresses, k, pos - 1 AS step_index
FROM tgt
WHERE pos IS NOT NULL
  AND NOT (steps_done && ids[pos:])
  AND NOT (pending_step_id IS NOT NULL AND (pending_accepted OR pending_since > :pending_cutoff)
           AND pending_step_id = ANY(ids[pos:]))"""


def base_params(
    tenant_id: uuid.UUID,
    as_of: date,
    compiled: CompiledStrategies,
    tolerances: dict[str, Decimal],
    pending_cutoff: datetime,
    reply_pause_days: int = 0,
) -> dict[str, Any]:
    return {
        **compiled.params,
        "tenant_id": tenant_id,
        "as_of": as_of,
        "tol_cur": list(tolerances),
        "tol_amt": [str(v) for v in tolerances.values()],
        "pending_cutoff": pending_cutoff,
        "reply_pause_days": reply_pause_days,
    }
