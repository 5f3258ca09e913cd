"""The tenant's portal settings: the defaults until one is set. Turning the portal on or off, or changing how long
a link lasts, is announced (``PortalSettingsChanged``): messaging then stops or resumes putting links in messages."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.models import outbox
from services.portal.tenant_settings import repository
from services.portal.tenant_settings.rules import (
    DEFAULT_LINK_VALID_DAYS,
    DEFAULT_PLAN_MAX_INSTALLMENTS,
    DEFAULT_PROMISE_MAX_DAYS,
    plan_limits_problem,
)
from services.portal.tenant_settings.schemas import PortalSettingsOut, PortalSettingsUpdate
from services.portal.upstream import Upstream
from shared.contracts.portal import PortalSettingsChanged
from shared.outbox import emit
from shared.problems import ValidationProblem

DEFAULTS = PortalSettingsOut(
    enabled=True,
    link_valid_days=DEFAULT_LINK_VALID_DAYS,
    pay_online=True,
    plan_max_installments=DEFAULT_PLAN_MAX_INSTALLMENTS,
    plan_min_down_payment_percent=Decimal(0),
    plan_min_amount=None,
    plan_max_amount=None,
    promise_max_days=DEFAULT_PROMISE_MAX_DAYS,
    dispute_areas={},
    links_revoked_before=None,
)


async def current(session: AsyncSession, tenant_id: uuid.UUID) -> PortalSettingsOut:
    return await repository.load_settings(session, tenant_id) or DEFAULTS


async def update(session: AsyncSession, tenant_id: uuid.UUID, data: PortalSettingsUpdate) -> PortalSettingsOut:
    before = await current(session, tenant_id)
    values = data.model_dump(exclude_unset=True)
    if "dispute_areas" in values:  # stored as JSON: reason -> area id
        values["dispute_areas"] = {reason.value: str(area) for reason, area in (data.dispute_areas or {}).items()}
    after = before.model_copy(update=values)
    problem = plan_limits_problem(after.plan_min_amount, after.plan_max_amount)
    if problem is not None:
        raise ValidationProblem.field("plan_min_amount", problem)
    if not values:
        return before
    saved = await repository.upsert_settings(session, tenant_id, **values)
    if (saved.enabled, saved.link_valid_days) != (before.enabled, before.link_valid_days):
        changed = PortalSettingsChanged(enabled=saved.enabled, link_valid_days=saved.link_valid_days)
        await emit(session, outbox, tenant_id, changed)
    return saved


async def revoke_every_link(session: AsyncSession, tenant_id: uuid.UUID) -> PortalSettingsOut:
    """Every link issued so far stops opening the page (a leaked batch, a change of portal): new messages bring
    new ones."""
    return await repository.revoke_all(session, tenant_id, datetime.now(UTC))


async def check_dispute_areas(upstream: Upstream, tenant_id: uuid.UUID, data: PortalSettingsUpdate) -> None:
    """Each area a reason maps to is one of receivables' dispute areas (422 naming the reason otherwise)."""
    if not data.dispute_areas:
        return
    answer = await upstream.get_json("receivables", "/v1/dispute-areas", tenant_id, limit=200)
    known = {item["id"] for item in answer["items"]} if isinstance(answer, dict) else set()
    for reason, area in data.dispute_areas.items():
        if str(area) not in known:
            raise ValidationProblem.field(f"dispute_areas.{reason.value}", "is not a dispute area of this tenant")
