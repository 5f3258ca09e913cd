"""Late charges in a run (issue 19): the tenant's fee rules loaded, the day's charges assessed in one statement
(a real run: recorded and announced; a dry run: summed up), and what a customer's messages and explain show."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.fees import repository, statements
from dunning_service.fees.convert import fee_rules
from dunning_service.fees.repository import ChargeTotal
from dunning_service.fees.rules import FeeSetup
from dunning_service.runs import selection
from dunning_service.strategies.repository import StrategyRow, live_strategies
from dunning_service.tenant_settings.repository import tenant_row


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


async def assess(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    as_of: date,
    compiled: selection.CompiledStrategies,
    run_id: uuid.UUID | None,
    *,
    dry: bool,
) -> list[ChargeTotal]:
    """The day's new charges for the tenant (``compiled``: the strategies as the run chose them): a real run
    records them and writes ``ChargesAssessed`` in the caller's transaction; a dry run only sums them up."""
    setup = await load_setup(session, tenant_id)
    if not setup.charges_anything:
        return []
    params = statements.assess_params(setup, compiled, tenant_id, as_of, run_id)
    statement = statements.dry_statement(compiled) if dry else statements.assess_statement(compiled)
    return await repository.totals(session, statement, params)
