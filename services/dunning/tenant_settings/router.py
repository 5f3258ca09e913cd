"""Per-tenant dunning settings (run hour, tolerances, holidays, reply pause; the action owner read-only: receivables
owns it); the resync is in ``projection.router``."""

from decimal import Decimal
from typing import Any

import holidays
from fastapi import APIRouter
from sqlalchemy.dialects.postgresql import insert

from services.dunning.models import Tenant, table_of
from services.dunning.runs.context import load_tenant
from services.dunning.tenant_settings.auth import SettingsRead, SettingsWrite
from services.dunning.tenant_settings.calendar import CALENDAR_FIELDS, announce_calendar
from services.dunning.tenant_settings.schemas import ACTION_OWNER_OWNER, DunningSettingsOut, DunningSettingsUpdate
from shared.db import EngineDep, SessionDep
from shared.identity import Identity
from shared.money import ISO_4217, check_precision
from shared.problems import ValidationProblem, problem_responses

router = APIRouter(prefix="/v1/dunning-settings", tags=["dunning-settings"], responses=problem_responses(401, 403))


async def _out(db: Any, identity: Identity) -> dict[str, Any]:
    tenant = await load_tenant(db, identity.tenant_id)
    row = (
        (await db.execute(table_of(Tenant).select().where(table_of(Tenant).c.tenant_id == identity.tenant_id)))
        .mappings()
        .first()
    )
    today = tenant.today()
    return {
        "country": tenant.country,
        "timezone": tenant.timezone,
        "language": tenant.language,
        "today": today,
        "business_day_today": tenant.calendar.is_business_day(today),
        "automatic": tenant.automatic,
        "run_hour": tenant.run_hour,
        "tolerances": tenant.tolerances,
        "holiday_subdivision": row["holiday_subdivision"] if row else None,
        "extra_holidays": sorted(row["extra_holidays"] or []) if row else [],
        "action_owner_id": tenant.action_owner_id,
        "reply_pause_days": tenant.reply_pause_days,
        "last_resync": row["last_resync"] if row else None,
    }


@router.get("", response_model=DunningSettingsOut)
async def get_dunning_settings(identity: SettingsRead, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        return await _out(conn, identity)


def _check(data: DunningSettingsUpdate, country: str | None) -> dict[str, Any]:
    values = data.model_dump(exclude_unset=True)
    errors = []
    if "action_owner_id" in values:
        errors.append({"field": "action_owner_id", "message": f"is set in receivables' settings: {ACTION_OWNER_OWNER}"})
    for name in ("automatic", "run_hour", "tolerances", "extra_holidays", "reply_pause_days"):
        if name in values and values[name] is None:
            errors.append({"field": name, "message": "cannot be null"})
    tolerances: dict[str, str] = {}
    for code, amount in (values.get("tolerances") or {}).items():
        currency = code.upper()
        if currency not in ISO_4217:
            errors.append({"field": f"tolerances.{code}", "message": "not an ISO 4217 currency code"})
            continue
        try:
            check_precision(Decimal(amount), currency)
        except ValueError as exc:
            errors.append({"field": f"tolerances.{code}", "message": str(exc)})
            continue
        if amount < 0:
            errors.append({"field": f"tolerances.{code}", "message": "must not be negative"})
        tolerances[currency] = str(amount)
    if values.get("tolerances") is not None:
        values["tolerances"] = tolerances
    subdivision = values.get("holiday_subdivision")
    if subdivision:
        known = _subdivisions(country)
        if subdivision.upper() not in known:
            hint = f"one of {', '.join(sorted(known))}" if known else f"none are known for {country or 'the country'}"
            errors.append({"field": "holiday_subdivision", "message": f"unknown subdivision: {hint}"})
        values["holiday_subdivision"] = subdivision.upper()
    if errors:
        raise ValidationProblem(errors)
    return values


def _subdivisions(country: str | None) -> set[str]:
    if not country:
        return set()
    try:
        return {s.upper() for s in holidays.country_holidays(country).subdivisions}
    except (NotImplementedError, KeyError, AttributeError):
        return set()


@router.patch("", response_model=DunningSettingsOut, responses=problem_responses(422))
async def update_dunning_settings(
    identity: SettingsWrite, data: DunningSettingsUpdate, session: SessionDep
) -> dict[str, Any]:
    """Change some settings; fields left out stay as they are. The action owner is not set here: receivables owns
    it (`PATCH /v1/receivables-settings`) and dunning learns it from receivables' events."""
    tenant = await load_tenant(session, identity.tenant_id)
    values = _check(data, tenant.country)
    if values:
        statement = insert(Tenant).values(tenant_id=identity.tenant_id, **values)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id"], set_={**{k: statement.excluded[k] for k in values}}
            )
        )
        if CALENDAR_FIELDS & values.keys():
            await announce_calendar(session, identity.tenant_id)
    return await _out(session, identity)
