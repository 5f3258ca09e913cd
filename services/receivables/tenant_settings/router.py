from dataclasses import asdict

from fastapi import APIRouter

from services.receivables.models import outbox
from services.receivables.payments.credits import apply_credits
from services.receivables.people.repository import require_user
from services.receivables.plans import rules
from services.receivables.signs.repository import load_thresholds
from services.receivables.tenant_settings import repository
from services.receivables.tenant_settings.auth import SettingsRead, SettingsWrite
from services.receivables.tenant_settings.schemas import PlanLimits, SettingsOut, SettingsUpdate, SignThresholds
from services.receivables.worklist.rules import Weights, changed_weights
from services.receivables.worklist.schemas import WeightsOut
from shared.contracts.receivables import TenantSettingsChanged
from shared.db import SessionDep
from shared.identity import Identity
from shared.outbox import emit
from shared.problems import problem_responses
from shared.tenant_users import TenantUsersDep

router = APIRouter(
    prefix="/v1/receivables-settings", tags=["receivables-settings"], responses=problem_responses(401, 403, 422)
)


async def _out(session: SessionDep, identity: Identity) -> SettingsOut:
    profile = await repository.load_profile(session, identity.tenant_id)
    return SettingsOut(
        tenant_id=profile.tenant_id,
        name=profile.name,
        country=profile.country,
        timezone=profile.timezone,
        language=profile.language,
        default_currency=profile.default_currency,
        today=profile.today().isoformat(),
        promise_grace_days=profile.promise_grace_days,
        follow_up_days=profile.follow_up_days,
        action_owner_id=profile.action_owner_id,
        auto_apply_credits=profile.auto_apply_credits,
        worklist_weights=WeightsOut(**Weights.from_stored(profile.worklist_weights).as_dict()),
        warning_signs=SignThresholds.model_validate(asdict(await load_thresholds(session, identity.tenant_id))),
        plan_limits=PlanLimits.model_validate(asdict(rules.PlanLimits.from_stored(profile.plan_limits))),
    )


@router.get("", response_model=SettingsOut)
async def get_receivables_settings(identity: SettingsRead, session: SessionDep) -> SettingsOut:
    """The tenant's collections settings and the profile receivables uses (country, timezone, today)."""
    return await _out(session, identity)


@router.patch("", response_model=SettingsOut, responses=problem_responses(503))
async def update_receivables_settings(
    identity: SettingsWrite, data: SettingsUpdate, session: SessionDep, gateway: TenantUsersDep
) -> SettingsOut:
    """Change the promise grace days, the no-commitment follow-up days, the action owner, whether credits are
    applied automatically (switched on, the credit waiting is applied at once), the worklist's weights, the
    warning signs' thresholds (the next refresh applies them) or the limits of the portal's payment plans."""
    values = data.model_dump(exclude_unset=True)
    thresholds = values.pop("warning_signs", None) or {}
    limits = {k: v for k, v in (values.pop("plan_limits", None) or {}).items() if v is not None}
    if limits:  # only the tenant's changes are stored, as JSON (the defaults stay in plans/rules.PlanLimits)
        stored = (await repository.load_profile(session, identity.tenant_id)).plan_limits
        values["plan_limits"] = {**stored, **{k: v if isinstance(v, bool | int) else str(v) for k, v in limits.items()}}
    values |= {f"signs_{name}": value for name, value in thresholds.items() if value is not None}
    if values.get("action_owner_id") is not None:
        await require_user(session, identity.tenant_id, values["action_owner_id"], "action_owner_id", gateway=gateway)
    for field in ("promise_grace_days", "follow_up_days", "auto_apply_credits", "worklist_weights"):
        if field in values and values[field] is None:
            values.pop(field)
    if "worklist_weights" in values:
        profile = await repository.load_profile(session, identity.tenant_id)
        values["worklist_weights"] = changed_weights(profile.worklist_weights, values["worklist_weights"])
    if values:
        await repository.upsert_settings(session, identity.tenant_id, values)
    if "action_owner_id" in values:  # the one owner of this setting: dunning learns it from the event (issue 16)
        await emit(
            session, outbox, identity.tenant_id, TenantSettingsChanged(action_owner_id=values["action_owner_id"])
        )
    if values.get("auto_apply_credits"):
        profile = await repository.load_profile(session, identity.tenant_id)
        await apply_credits(session, profile, None, identity.actor)
    return await _out(session, identity)
