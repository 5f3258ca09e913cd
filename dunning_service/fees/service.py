"""Late charges in a run (issue 19): the tenant's fee rules loaded, the day's charges assessed in one statement
(a real run: recorded and announced; a dry run: summed up), and what a customer's messages and explain show."""

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.fees import repository, statements, watermark
from dunning_service.fees.convert import fee_rules, rule_json
from dunning_service.fees.repository import ChargeRow, ChargeTotal
from dunning_service.fees.rules import ExistingCharge, FeeSetup, InvoiceFacts, NewCharge, assess
from dunning_service.projection.rules import InvoiceView
from dunning_service.runs import selection
from dunning_service.runs.statements import RUN_WORK_MEM
from dunning_service.strategies.repository import StrategyRow, live_strategies
from dunning_service.tenant_settings.repository import tenant_row
from shared.contracts.common import ChargeKind, ChargeStatus, InvoiceKind, InvoiceStatus
from shared.db import planner_settings


def setup_from(rows: list[StrategyRow], defaults: list[dict[str, Any]], legal: Any) -> FeeSetup:
    by_strategy = {}
    for row in rows:
        if row.fees is not None:
            days = {s["key"]: int(s.get("days") or 0) for s in row.steps}
            by_strategy[row.id] = fee_rules(row.fees, days, row.id)
    return FeeSetup(by_strategy, fee_rules(defaults), None if legal is None else legal)


async def load_setup(session: AsyncSession, tenant_id: uuid.UUID) -> FeeSetup:
    """The tenant's fee rules: its live strategies' ``fees`` and its defaults, with the legal maximum."""
    tenant = await tenant_row(session, tenant_id)
    rows = await live_strategies(session, tenant_id)
    if tenant is None:
        return setup_from(rows, [], None)
    return setup_from(rows, tenant.fee_rules or [], tenant.legal_max_annual_rate)


def totals_json(totals: list[ChargeTotal]) -> dict[str, Any]:
    """A run's charges as its counts show them."""
    return {
        "count": sum(t.n for t in totals),
        "amounts": [{"currency": t.currency, "amount": str(t.amount)} for t in totals],
    }


async def assess_day(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    as_of: date,
    compiled: selection.CompiledStrategies,
    run_id: uuid.UUID | None,
    *,
    dry: bool,
) -> list[ChargeTotal]:
    """The day's new charges for the tenant (``compiled``: the strategies as the run chose them): a real run
    records them and writes ``ChargesAssessed`` in the caller's transaction; a dry run only sums them up.

    Both look at the invoices that may owe something new since the last real assessment (``fees/watermark.py``),
    or at all of them when its reasoning does not hold; a real run then moves the watermark, in its transaction."""
    setup = await load_setup(session, tenant_id)
    if not setup.charges_anything:
        return []
    params = statements.assess_params(setup, compiled, tenant_id, as_of, run_id)
    config = watermark.fingerprint(params, compiled.case_sql, compiled.k_sql, compiled.steer_sql)
    since = watermark.decide(await repository.watermark(session, tenant_id), as_of, config, _has_interest(params))
    candidates = None
    if since is not None:
        candidates = await repository.gather_candidates(session, compiled.uses_amount, _candidate_params(params, since))
        if candidates > watermark.MAX_CANDIDATES:
            candidates = None
    incremental = candidates is not None
    if not dry:
        await repository.clear_retries(session, tenant_id, incremental)
    # the run's planner settings: a month's first day prices a charge per overdue invoice (sorts, windows); every
    # period due so far is checked against the charges already recorded, which the planner underestimates (the rules
    # join as a handful of rows) and probes one by one: a hash anti join over the charges is twice as fast at 1M
    # invoices (bench/dunning.py --fees: 10.6 s -> 5.0 s). The candidates (analyzed) are probed by their indexes.
    statement = (statements.dry_statement if dry else statements.assess_statement)(compiled, incremental)
    full_only = {} if incremental else {"enable_nestloop": "off"}
    async with planner_settings(session, jit="off", work_mem=RUN_WORK_MEM, **full_only):
        totals = await repository.totals(session, statement, params)
    if not dry:
        await repository.save_watermark(session, tenant_id, as_of, config, candidates)
    return totals


def _has_interest(params: dict[str, Any]) -> bool:
    return ChargeKind.INTEREST.value in params["fr_kind"]


def _candidate_params(params: dict[str, Any], mark: watermark.Watermark) -> dict[str, Any]:
    """The candidates' parameters (``repository.gather_candidates``): the fixed and percentage periods due since
    the watermark's day, the changes since its time (less the margin)."""
    thresholds = [
        t for t, kind in zip(params["fr_threshold"], params["fr_kind"], strict=True) if kind != ChargeKind.INTEREST
    ]
    windows = watermark.due_windows(thresholds, mark.as_of, params["as_of"])
    return {
        "tenant_id": params["tenant_id"],
        "as_of": params["as_of"],
        "since": watermark.changed_since(mark),
        "since_day": mark.as_of,
        "after": [after for after, _ in windows],
        "up_to": [up_to for _, up_to in windows],
    }


def _eligible(invoice: InvoiceView) -> bool:
    """An invoice the assessment charges (``statements``' ``inv``), overdue or not."""
    return (
        invoice.status == InvoiceStatus.NORMAL
        and invoice.kind != InvoiceKind.CREDIT_NOTE
        and not invoice.missing_upstream
        and invoice.open_amount > 0
    )


def _charge_out(c: ChargeRow | NewCharge, status: str, number: str) -> dict[str, Any]:
    return {
        "charge_id": c.id if isinstance(c, ChargeRow) else c.charge_id,
        "key": c.key,
        "invoice_id": c.invoice_id,
        "invoice_number": number,
        "kind": c.kind,
        "description": c.description,
        "currency": c.currency,
        "amount": c.amount,
        "charged_on": c.charged_on,
        "status": status,
    }


async def explain(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    strategy_id: uuid.UUID | None,
    invoices: Sequence[InvoiceView],
    day: date,
    invoice_strategies: Mapping[uuid.UUID, uuid.UUID | None] | None = None,
) -> dict[str, Any]:
    """What explain says of a customer's late charges: the rules that apply (the strategy's or the tenant's), the
    charges recorded, and those a run on ``day`` would add (``rules.assess``, the run's reference). An invoice that
    follows another strategy than its customer's (``invoice_strategies``: a plan's installment) takes that one's."""
    setup = await load_setup(session, tenant_id)
    rules = setup.rules_for(strategy_id)
    recorded = (await repository.customer_charges(session, tenant_id, [customer_id], only_open=False)).get(
        customer_id, []
    )
    existing: dict[uuid.UUID, list[ExistingCharge]] = defaultdict(list)
    for c in recorded:
        existing[c.invoice_id].append(ExistingCharge(c.key, c.rule_key, c.amount, c.status == ChargeStatus.WAIVED))
    due = []
    for inv in invoices:
        if _eligible(inv):
            facts = InvoiceFacts(inv.id, inv.customer_id, inv.currency, inv.amount, inv.open_amount, inv.due_date)
            own = setup.rules_for((invoice_strategies or {}).get(inv.id, strategy_id))
            for new in assess(tenant_id, facts, own, setup.legal_max_annual_rate, day, existing[inv.id]):
                due.append(_charge_out(new, "due", inv.number))
    return {
        "fee_rules_from": "strategy" if strategy_id in setup.by_strategy else "tenant",
        "fee_rules": [rule_json(r) for r in rules],
        "legal_max_annual_rate": setup.legal_max_annual_rate,
        "charges": [_charge_out(c, c.status, c.invoice_number) for c in recorded],
        "charges_due": due,
    }
