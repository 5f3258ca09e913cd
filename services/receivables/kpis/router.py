import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from services.receivables.exports.responses import FormatParam, export, export_responses, rows_once
from services.receivables.exports.tables import AGING, KPIS, aging_rows, kpi_rows
from services.receivables.exports.writers import ExportFormat
from services.receivables.kpis import service
from services.receivables.kpis.auth import KpiRead
from services.receivables.kpis.repository import KpiFilter
from services.receivables.kpis.schemas import (
    AgingOut,
    CeiOut,
    ContactsOut,
    DsoOut,
    ExcusesOut,
    KpisOut,
    PromisesKpiOut,
    WorkloadOut,
)
from services.receivables.tenant_settings.repository import load_profile
from shared.db import SessionDep
from shared.identity import Identity
from shared.problems import ValidationProblem, problem_responses
from shared.validation import SaneDate

router = APIRouter(prefix="/v1/kpis", tags=["kpis"], responses=problem_responses(401, 403, 422))


class KpiParams:
    def __init__(
        self,
        date_from: Annotated[
            SaneDate | None, Query(alias="from", description="Period start (default: month start)")
        ] = None,
        date_to: Annotated[
            SaneDate | None, Query(alias="to", description="Period end, inclusive (default: as_of)")
        ] = None,
        as_of: Annotated[
            SaneDate | None, Query(description="Balances at this date (default: the tenant's today)")
        ] = None,
        collector_id: uuid.UUID | None = None,
        segment: Annotated[str | None, Query(max_length=60)] = None,
        currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    ) -> None:
        self.date_from, self.date_to, self.as_of = date_from, date_to, as_of
        self.collector_id, self.segment = collector_id, segment or None  # an empty filter filters nothing
        self.currency = currency.upper() if currency else None


Params = Annotated[KpiParams, Depends()]
Months = Annotated[int, Query(ge=1, le=36, description="Months of sales the DSO countback may look back")]


async def _filter(session: object, identity: Identity, p: KpiParams) -> KpiFilter:
    profile = await load_profile(session, identity.tenant_id)  # type: ignore[arg-type]
    as_of = p.as_of or profile.today()
    date_to = p.date_to or as_of
    date_from = p.date_from or date_to.replace(day=1)
    if date_from > date_to:
        raise ValidationProblem.field("from", "must not be after `to`")
    return KpiFilter(
        identity.tenant_id,
        date_from,
        date_to,
        as_of,
        p.collector_id,
        p.segment,
        p.currency,
        profile.timezone or "UTC",
    )


@router.get("", response_model=KpisOut)
async def get_kpis(identity: KpiRead, session: SessionDep, p: Params, months: Months = 12) -> dict[str, Any]:
    """Every KPI at once (each one is also its own endpoint)."""
    f = await _filter(session, identity, p)
    return {
        "aging": await service.aging(session, f),
        "dso": await service.dso(session, f, months),
        "cei": await service.cei(session, f),
        "promises": await service.promises(session, f),
        "excuses": await service.excuses(session, f),
        "contacts": await service.contacts(session, f),
        "workload": await service.workload(session, f),
    }


@router.get("/aging", response_model=AgingOut)
async def get_aging(identity: KpiRead, session: SessionDep, p: Params) -> dict[str, Any]:
    """Open receivables per currency in aging buckets by days overdue at `as_of`: current (not yet due), 1-30,
    31-60, 61-90, 91-120, 120+. Credit notes are credits, not receivables, and are left out."""
    return await service.aging(session, await _filter(session, identity, p))


@router.get("/dso", response_model=DsoOut)
async def get_dso(identity: KpiRead, session: SessionDep, p: Params, months: Months = 12) -> dict[str, Any]:
    """DSO by the countback method: the receivables at `as_of` are matched against the credit sales of the
    months before it, most recent first; whole months count their days, the last one the fraction its sales
    cover. Unlike the average method it is not skewed by a change in sales volume."""
    return await service.dso(session, await _filter(session, identity, p), months)


@router.get("/cei", response_model=CeiOut)
async def get_cei(identity: KpiRead, session: SessionDep, p: Params) -> dict[str, Any]:
    """Collection effectiveness index over the period `from`..`to`, per currency."""
    return await service.cei(session, await _filter(session, identity, p))


@router.get("/promises", response_model=PromisesKpiOut)
async def get_promise_kpis(identity: KpiRead, session: SessionDep, p: Params) -> dict[str, Any]:
    """Promises made in the period; kept, broken and cancelled in it; the promise-kept rate."""
    return await service.promises(session, await _filter(session, identity, p))


@router.get("/excuses", response_model=ExcusesOut)
async def get_excuses(identity: KpiRead, session: SessionDep, p: Params) -> dict[str, Any]:
    """Outcomes by excuse reason and notes by hashtag in the period (seed 004's excuse report)."""
    return await service.excuses(session, await _filter(session, identity, p))


@router.get("/contacts", response_model=ContactsOut)
async def get_contacts(identity: KpiRead, session: SessionDep, p: Params) -> dict[str, Any]:
    """Contacts and outcomes per collector (who recorded them) in the period."""
    return await service.contacts(session, await _filter(session, identity, p))


@router.get("/workload", response_model=WorkloadOut)
async def get_workload(identity: KpiRead, session: SessionDep, p: Params) -> dict[str, Any]:
    """Open tasks per assignee: total, overdue and due at `as_of`."""
    return await service.workload(session, await _filter(session, identity, p))


@router.get("/export", response_class=Response, responses=export_responses("Every KPI, one row per figure", KPIS))
async def export_kpis(
    identity: KpiRead,
    session: SessionDep,
    p: Params,
    export_format: FormatParam = ExportFormat.CSV,
    months: Months = 12,
) -> Response:
    """`GET /v1/kpis` as one long table for spreadsheets (pivot it): `kpi`, the period or date, the currency and
    the subject (bucket, excuse, hashtag, collector, assignee) of each figure, then `metric` and `value`."""
    kpis = await get_kpis(identity, session, p, months)
    return await export(KPIS, export_format, rows_once(kpi_rows(kpis)), kpis["aging"]["as_of"])


@router.get("/aging/export", response_class=Response, responses=export_responses("The aging report", AGING))
async def export_aging(
    identity: KpiRead, session: SessionDep, p: Params, export_format: FormatParam = ExportFormat.CSV
) -> Response:
    """The aging report for spreadsheets: one row per currency, the open amount of each bucket (current, 1-30,
    31-60, 61-90, 91-120, 120+ days overdue), overdue, total and the number of open invoices."""
    aging = await get_aging(identity, session, p)
    return await export(AGING, export_format, rows_once(aging_rows(aging)), aging["as_of"])
