"""A run's assessment of late charges as one SQL statement over the portfolio (issue 19): no Python per invoice.
This module only BUILDS its text and parameters; ``fees/repository.py`` runs it.

It mirrors ``rules.assess`` (the reference; ``tests/dunning/test_fees_agree.py`` holds the two together): the
customers' strategies as the run chooses them (``selection.with_clause``), each eligible invoice's rules (its
strategy's, ``CompiledStrategies.k_sql``: the plans' for a plan's installment; else the tenant's defaults: ``k = 0``),
the fixed and percentage fees once their day came and one interest charge per complete month (``generate_series``),
the keys already charged left out, the minimum, then the rule's cap and the legal maximum as running sums in the
fixed order (window functions). Divisions are exact (``div`` of the scaled numerator, as ``rules.divide``; annual
rates are percents: one division by ``rules.RATE_DIVISOR``, 365 x 100). A real run inserts the charges (``ON
CONFLICT (tenant_id, key) DO NOTHING``: a key is charged once, whatever the day) and writes ``ChargesAssessed`` (up
to ``CHARGES_PER_MESSAGE`` a message) to the outbox in the same statement, and keeps the invoices it left a due period
clipped to nothing (``fee_retries``); a dry run only sums them up. Incremental (``fees/watermark.py``): the same
statement over the invoices of ``repository.CANDIDATES`` (and their customers) only.
"""

import uuid
from datetime import date
from typing import Any

import orjson
from babel.numbers import get_currency_precision

from dunning_service.fees.repository import CANDIDATES, keep_open_charges_sql
from dunning_service.fees.rules import RATE_DIVISOR, FeeRule, FeeSetup
from dunning_service.runs import selection
from dunning_service.runs.handover_repository import outbox_insert
from shared.contracts.dunning import ChargesAssessed
from shared.money import ISO_4217

CHARGES_PER_MESSAGE = 10_000
_CURRENCIES = sorted(ISO_4217)
_ONLY = f"IN (SELECT customer_id FROM {CANDIDATES})"


def _round_div(numerator: str, denominator: int) -> str:
    """``rules.divide(half_up=True)`` in SQL, over a row with the currency's ``scale`` (10^minor) and ``minor``."""
    return f"round(div(2 * ({numerator}) * scale + {denominator}, {2 * denominator}) / scale, minor)"


def _floor_div(numerator: str, denominator: int) -> str:
    return f"round(div(({numerator}) * scale, {denominator}) / scale, minor)"


# The charge's id: ``rules.charge_id`` (RFC 4122 version 3: md5 of the tenant's id and the key).
_CHARGE_ID = """CAST(substr(h.h, 1, 12) || '3' || substr(h.h, 14, 3)
       || to_hex((CAST(CAST('x' || substr(h.h, 17, 1) AS bit(4)) AS int) & 3) | 8) || substr(h.h, 18, 15) AS uuid)"""
_HASH = """CROSS JOIN LATERAL (SELECT md5(decode(replace(CAST(:tenant_id AS text), '-', ''), 'hex')
                                         || convert_to(c.key, 'UTF8')) AS h) h"""


def _charged(compiled: selection.CompiledStrategies, incremental: bool) -> str:
    """The CTEs up to ``charged``: the new charges of the day, their amount in ``c2`` (``legal``: every period due
    and priced, charged or clipped to nothing). ``incremental``: the invoices of ``CANDIDATES`` only."""
    k = compiled.k_sql  # the invoice's strategy: its customer's, the plans' for an installment
    legal_cap = _floor_div("c.open_amount * CAST(:legal AS numeric) * c.days", RATE_DIVISOR)
    only = f"AND i.id IN (SELECT invoice_id FROM {CANDIDATES})" if incremental else ""
    return f"""{selection.with_clause(compiled, only=_ONLY if incremental else "")},
fr AS (
  SELECT * FROM unnest(CAST(:fr_k AS int[]), CAST(:fr_idx AS int[]), CAST(:fr_key AS text[]),
                       CAST(:fr_kind AS text[]), CAST(:fr_period AS text[]), CAST(:fr_threshold AS int[]),
                       CAST(:fr_grace AS int[]), CAST(:fr_amounts AS jsonb[]), CAST(:fr_percent AS numeric[]),
                       CAST(:fr_rate AS numeric[]), CAST(:fr_minimum AS jsonb[]), CAST(:fr_cap_amounts AS jsonb[]),
                       CAST(:fr_cap_percent AS numeric[]), CAST(:fr_label AS text[]), CAST(:fr_strategy AS uuid[]))
    AS r(k, idx, rule_key, kind, period, threshold, grace, amounts, pct, rate, minimum, cap_amounts, cap_pct,
         label, strategy_id)
),
cur AS (
  SELECT currency, CAST(power(10, minor) AS numeric) AS scale, minor
  FROM unnest(CAST(:cur_code AS text[]), CAST(:cur_minor AS int[])) AS m(currency, minor)
),
inv AS (
  SELECT i.id, i.customer_id, i.number, i.currency, i.amount AS invoice_amount, i.open_amount, i.due_date,
         CAST(:as_of AS date) - i.due_date AS days, m.scale, m.minor,
         CASE WHEN {k} = ANY(CAST(:fee_ks AS int[])) THEN {k} ELSE 0 END AS fk
  FROM dunning.invoices i
  JOIN cust cu ON cu.id = i.customer_id
  JOIN cur m ON m.currency = i.currency
  WHERE i.tenant_id = :tenant_id AND i.status = 'normal' AND i.kind <> 'credit_note' AND NOT i.missing_upstream
    AND i.open_amount > 0 AND i.due_date < CAST(:as_of AS date) {only}
),
months AS (  -- the complete months over before the day, from the oldest due date's (a join, not a series per row)
  SELECT CAST(m AS date) AS first, CAST(m + interval '1 month' AS date) - 1 AS last
  FROM generate_series(date_trunc('month', CAST((SELECT min(due_date) FROM inv) AS timestamp)),
                       CAST(CAST(:as_of AS date) AS timestamp) - interval '1 month', interval '1 month') AS m
),
raw AS (  -- every (invoice, rule, period) due by the day, narrow: the amounts only for the new ones, below
  SELECT v.id, r.k, r.idx, r.rule_key, r.period, v.due_date + r.threshold AS became_due, NULL::int AS period_days
  FROM inv v JOIN fr r ON r.k = v.fk AND r.kind <> 'interest' AND v.days >= r.threshold
  UNION ALL
  SELECT v.id, r.k, r.idx, r.rule_key, to_char(p.first, 'YYYY-MM'), p.last,
         p.last - greatest(p.first, v.due_date + r.grace + 1) + 1
  FROM inv v JOIN fr r ON r.k = v.fk AND r.kind = 'interest'
  JOIN months p ON p.last >= v.due_date + r.grace + 1
),
unseen AS (  -- the periods never charged (the key is made of these three: compared as columns, not as text)
  SELECT raw.* FROM raw
  WHERE NOT EXISTS (SELECT 1 FROM dunning.charges x
                    WHERE x.tenant_id = :tenant_id AND x.invoice_id = raw.id AND x.rule_key = raw.rule_key
                      AND x.period = raw.period)
),
priced AS (
  SELECT v.*, r.idx, r.rule_key, r.kind, r.label, r.strategy_id, r.minimum, r.cap_amounts, r.cap_pct, u.period,
         u.became_due, 'fee:' || CAST(u.id AS text) || ':' || u.rule_key || ':' || u.period AS key,
         CASE r.kind WHEN 'fixed' THEN CAST(r.amounts ->> v.currency AS numeric)
                     WHEN 'percentage' THEN {_round_div("v.open_amount * r.pct", 100)}
                     ELSE {_round_div("v.open_amount * r.rate * u.period_days", RATE_DIVISOR)} END AS amount
  FROM unseen u JOIN inv v ON v.id = u.id JOIN fr r ON r.k = u.k AND r.idx = u.idx
),
new AS (
  SELECT p.*, greatest(p.amount, CAST(p.minimum ->> p.currency AS numeric)) AS charge
  FROM priced p WHERE p.amount IS NOT NULL
    AND greatest(p.amount, CAST(p.minimum ->> p.currency AS numeric)) > 0
),
used AS (  -- what the invoices' charges already recorded (not waived) take of each rule's cap
  SELECT invoice_id, rule_key, sum(amount) AS amount FROM dunning.charges
  WHERE tenant_id = :tenant_id AND status <> 'waived' AND invoice_id IN (SELECT id FROM new)
  GROUP BY invoice_id, rule_key
),
capped AS (
  SELECT n.*, CASE WHEN cap.amount IS NULL THEN n.charge
                   ELSE greatest(0, least(n.charge, cap.amount - coalesce(u.amount, 0)
                                                    - coalesce(sum(n.charge) OVER w, 0))) END AS c1,
         coalesce(cap.amount - coalesce(u.amount, 0) <= 0, false) AS exhausted  -- by the charges recorded
  FROM new n
  LEFT JOIN used u ON u.invoice_id = n.id AND u.rule_key = n.rule_key
  CROSS JOIN LATERAL (SELECT least(CAST(n.cap_amounts ->> n.currency AS numeric),
                                   {_floor_div("n.invoice_amount * n.cap_pct", 100)}) AS amount) cap
  WINDOW w AS (PARTITION BY n.id, n.rule_key ORDER BY n.became_due, n.idx, n.period COLLATE "C"
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
legal AS (
  SELECT c.*, CASE WHEN CAST(:legal AS numeric) IS NULL THEN c.c1
                   ELSE greatest(0, least(c.c1, {legal_cap}
                                                - coalesce(t.amount, 0) - coalesce(sum(c.c1) OVER w, 0))) END AS c2
  FROM capped c
  LEFT JOIN (SELECT invoice_id, sum(amount) AS amount FROM used GROUP BY invoice_id) t ON t.invoice_id = c.id
  WINDOW w AS (PARTITION BY c.id ORDER BY c.became_due, c.idx, c.period COLLATE "C"
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
charged AS (SELECT * FROM legal WHERE trunc(c2, minor) > 0)"""


# A real run's retries: the invoices with a period due and priced but clipped to nothing, unless the rule's cap is
# used up by the charges recorded (only a waiver, an edit of the invoice or of the rule frees it: the candidates
# catch those); the legal maximum's room grows every day, a cap's room left by the day's other new charges may too.
_RETRIES = """
retried AS (
  INSERT INTO dunning.fee_retries (tenant_id, invoice_id)
  SELECT DISTINCT CAST(:tenant_id AS uuid), id FROM legal WHERE trunc(c2, minor) <= 0 AND NOT exhausted
  ON CONFLICT DO NOTHING
  RETURNING 1
)"""


_COLUMNS = (
    "tenant_id, id, key, invoice_id, customer_id, invoice_number, strategy_id, rule_key, kind, period, description, "
    "currency, amount, charged_on, run_id"
)
# The charged customers' open charges kept (``dunning.open_charges``): the ones recorded before (the statement
# cannot see its own inserts in the table) and the new ones (``ins``, open).
_OPEN_BEFORE_AND_NEW = """
SELECT * FROM dunning.charges
WHERE tenant_id = :tenant_id AND status = 'open' AND customer_id IN (SELECT customer_id FROM ins)
UNION ALL SELECT * FROM ins"""
_KEPT = f"""
kept AS ({keep_open_charges_sql(_OPEN_BEFORE_AND_NEW)}
  RETURNING 1
)"""


def assess_statement(compiled: selection.CompiledStrategies, incremental: bool = False) -> str:
    """A real run's assessment: the new charges inserted, announced in the same statement, the retries kept; its
    rows are the charges inserted per currency (currency, count, amount)."""
    charge = """json_build_object('charge_id', id, 'key', key, 'invoice_id', invoice_id, 'customer_id', customer_id,
        'kind', kind, 'rule_key', rule_key, 'period', period, 'strategy_id', strategy_id, 'description', description,
        'currency', currency, 'amount', CAST(amount AS text), 'charged_on', charged_on)"""
    announce = outbox_insert(
        ChargesAssessed,
        f"""
SELECT json_build_object('run_id', CAST(:run_id AS uuid), 'charges', json_agg({charge} ORDER BY n)) AS payload
FROM (SELECT ins.*, row_number() OVER (ORDER BY customer_id, invoice_id, key COLLATE "C") - 1 AS n FROM ins) numbered
GROUP BY n / {CHARGES_PER_MESSAGE}""",
    )
    return f"""{_charged(compiled, incremental)},
ins AS (
  INSERT INTO dunning.charges ({_COLUMNS})
  SELECT CAST(:tenant_id AS uuid), {_CHARGE_ID}, c.key, c.id, c.customer_id, c.number, c.strategy_id, c.rule_key,
         c.kind, c.period, c.label || ' ' || c.period, c.currency, trunc(c.c2, c.minor), CAST(:as_of AS date),
         CAST(:run_id AS uuid)
  FROM charged c {_HASH}
  ON CONFLICT (tenant_id, key) DO NOTHING
  RETURNING *
),
announced AS ({announce.strip()} RETURNING 1),{_RETRIES},{_KEPT}
SELECT currency, count(*) AS n, sum(amount) AS amount FROM ins GROUP BY currency ORDER BY currency"""


def dry_statement(compiled: selection.CompiledStrategies, incremental: bool = False) -> str:
    """What a run would charge, per currency (currency, count, amount), writing nothing."""
    return f"""{_charged(compiled, incremental)}
SELECT currency, count(*) AS n, sum(trunc(c2, minor)) AS amount FROM charged GROUP BY currency ORDER BY currency"""


def rows_statement(compiled: selection.CompiledStrategies, incremental: bool = False) -> str:
    """The new charges themselves, writing nothing (the agreement tests compare them with ``rules.assess`` and
    with the incremental assessment)."""
    return f"""{_charged(compiled, incremental)}
SELECT {_CHARGE_ID} AS charge_id, c.key, c.id AS invoice_id, c.customer_id, c.kind, c.rule_key, c.period,
       c.strategy_id, c.label || ' ' || c.period AS description, c.currency, trunc(c.c2, c.minor) AS amount
FROM charged c {_HASH}"""


def _json(values: dict[str, Any]) -> str:
    return orjson.dumps({k: str(v) for k, v in values.items()}).decode()


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def assess_params(
    setup: FeeSetup,
    compiled: selection.CompiledStrategies,
    tenant_id: uuid.UUID,
    as_of: date,
    run_id: uuid.UUID | None,
) -> dict[str, Any]:
    """The statements' parameters: the rules as rows (``k``: the strategy's number in ``compiled``, 0 for the
    tenant's defaults), the strategies whose own rules apply (``fee_ks``), the legal maximum, the currencies."""
    rows: list[tuple[int, int, FeeRule]] = [(0, n, r) for n, r in enumerate(setup.defaults)]
    fee_ks = []
    for k, strategy in compiled.by_k.items():
        if strategy.id in setup.by_strategy:
            fee_ks.append(k)
            rows += [(k, n, r) for n, r in enumerate(setup.by_strategy[strategy.id])]
    return {
        **compiled.params,
        "tenant_id": tenant_id,
        "as_of": as_of,
        "run_id": run_id,
        "tol_cur": [],  # the selection's common CTEs (tolerances, blocked invoices) are not read here
        "tol_amt": [],
        "fee_ks": fee_ks,
        "legal": _str(setup.legal_max_annual_rate),
        "fr_k": [k for k, _, _ in rows],
        "fr_idx": [n for _, n, _ in rows],
        "fr_key": [r.key for _, _, r in rows],
        "fr_kind": [r.kind.value for _, _, r in rows],
        "fr_period": [r.period for _, _, r in rows],
        "fr_threshold": [r.threshold for _, _, r in rows],
        "fr_grace": [r.grace_days for _, _, r in rows],
        "fr_amounts": [_json(dict(r.amounts)) for _, _, r in rows],
        "fr_percent": [_str(r.percent) for _, _, r in rows],
        "fr_rate": [_str(r.annual_rate) for _, _, r in rows],
        "fr_minimum": [_json(dict(r.minimum)) for _, _, r in rows],
        "fr_cap_amounts": [_json(dict(r.cap_amounts)) for _, _, r in rows],
        "fr_cap_percent": [_str(r.cap_percent) for _, _, r in rows],
        "fr_label": [r.label for _, _, r in rows],
        "fr_strategy": [r.strategy_id for _, _, r in rows],
        "cur_code": _CURRENCIES,
        "cur_minor": [get_currency_precision(c) for c in _CURRENCIES],
    }
