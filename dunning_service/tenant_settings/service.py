"""The tenant's dunning settings: shown with the tenant's context, checked field by field, saved, and the calendar
announced when it changed."""

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.fees.convert import check_fees, fees_to_json
from dunning_service.fees.schemas import FeeRuleIn
from dunning_service.runs.context import load_tenant
from dunning_service.strategies.repository import live_strategies
from dunning_service.tenant_settings import repository
from dunning_service.tenant_settings.calendar import CALENDAR_FIELDS, announce_calendar
from dunning_service.tenant_settings.rules import checked_settings
from dunning_service.tenant_settings.schemas import DunningSettingsUpdate
from shared.problems import ValidationProblem


async def settings_out(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Any]:
    tenant = await load_tenant(session, tenant_id)
    stored = await repository.calendar_and_resync(session, tenant_id)
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
        "holiday_subdivision": stored.holiday_subdivision,
        "extra_holidays": list(stored.extra_holidays),
        "action_owner_id": tenant.action_owner_id,
        "reply_pause_days": tenant.reply_pause_days,
        "last_resync": stored.last_resync,
        "fee_rules": stored.fee_rules,
        "legal_max_annual_rate": stored.legal_max_annual_rate,
    }


FEE_FIELDS = frozenset({"fee_rules", "legal_max_annual_rate"})


async def _checked_fees(session: AsyncSession, tenant_id: uuid.UUID, data: DunningSettingsUpdate) -> dict[str, Any]:
    """The default fee rules and the legal maximum (issue 19): the defaults name no step, and no interest rule
    (the defaults' or a strategy's) may run above the legal maximum; a 422 naming each field in error."""
    stored = await repository.calendar_and_resync(session, tenant_id)
    fields = data.model_fields_set
    legal = data.legal_max_annual_rate if "legal_max_annual_rate" in fields else stored.legal_max_annual_rate
    rules = data.fee_rules if "fee_rules" in fields else [FeeRuleIn.model_validate(f) for f in stored.fee_rules]
    if rules is None:
        raise ValidationProblem.field("fee_rules", "cannot be null: [] has none")
    errors = check_fees(rules, None, legal, name="fee_rules")
    if legal is not None:
        for row in await live_strategies(session, tenant_id):
            for rule in row.fees or []:
                if rule.get("annual_rate") is not None and Decimal(str(rule["annual_rate"])) > legal:
                    message = f"below the interest rate of strategy {row.name!r}'s rule {rule['key']!r}"
                    errors.append({"field": "legal_max_annual_rate", "message": message})
    if errors:
        raise ValidationProblem(errors)
    values: dict[str, Any] = {}
    if "fee_rules" in fields:
        values["fee_rules"] = fees_to_json(rules)
    if "legal_max_annual_rate" in fields:
        values["legal_max_annual_rate"] = legal
    return values


async def update_settings(session: AsyncSession, tenant_id: uuid.UUID, data: DunningSettingsUpdate) -> None:
    """Save the fields given (a 422 naming every bad one); a new calendar is announced in the same transaction."""
    tenant = await load_tenant(session, tenant_id)
    values = checked_settings(data, tenant.country)
    if FEE_FIELDS & data.model_fields_set:
        values |= await _checked_fees(session, tenant_id, data)
    if values:
        await repository.save_settings(session, tenant_id, values)
        if CALENDAR_FIELDS & values.keys():
            await announce_calendar(session, tenant_id)
