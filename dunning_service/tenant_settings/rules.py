"""Pure decisions on the tenant's dunning settings: which fields a request may set and how they are normalised."""

from decimal import Decimal
from typing import Any

import holidays

from dunning_service.tenant_settings.schemas import ACTION_OWNER_OWNER, DunningSettingsUpdate
from shared.money import ISO_4217, check_precision
from shared.problems import ValidationProblem


def checked_settings(data: DunningSettingsUpdate, country: str | None) -> dict[str, Any]:
    """The columns to save from the fields given, normalised (currency codes and subdivision upper case, amounts
    as text); a 422 naming every field in error at once. ``country`` is the tenant's (its subdivisions)."""
    values = data.model_dump(exclude_unset=True)
    errors: list[dict[str, str]] = []
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
    """The holiday subdivisions known for ``country`` (none for an unknown country)."""
    if not country:
        return set()
    try:
        return {s.upper() for s in holidays.country_holidays(country).subdivisions}
    except (NotImplementedError, KeyError, AttributeError):
        return set()
