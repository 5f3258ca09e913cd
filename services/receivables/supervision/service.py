"""The supervisor's view: which collectors (the caller's team, everyone's, or one), their period figures and the size
of each one's worklist today, in a fixed number of statements whatever the team's size."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.people.repository import require_user
from services.receivables.supervision import repository
from services.receivables.supervision.repository import Period
from services.receivables.supervision.schemas import CollectorSituation, SupervisionOut
from services.receivables.tenant_settings.repository import TenantProfile
from services.receivables.worklist import repository as worklist
from services.receivables.worklist.rules import Weights
from services.receivables.worklist.schemas import Team
from services.receivables.worklist.service import day_of
from shared.identity import Identity
from shared.permissions import MANAGERS
from shared.problems import ValidationProblem
from shared.tenant_users import TenantUsers

MAX_DAYS = 366


def default_team(identity: Identity) -> Team:
    """A manager (or admin) sees everyone by default; a supervisor its own team."""
    return Team.ALL if identity.has_any(MANAGERS) else Team.MINE


async def collectors_of(
    session: AsyncSession,
    identity: Identity,
    collector_id: uuid.UUID | None,
    team: Team | None,
    gateway: TenantUsers,
) -> list[uuid.UUID]:
    if collector_id is not None:
        if team is not None:
            raise ValidationProblem.field("team", "give either collector_id or team, not both")
        await require_user(session, identity.tenant_id, collector_id, "collector_id", gateway=gateway)
        return [collector_id]
    if (team or default_team(identity)) is Team.ALL:
        return await worklist.collectors(session, identity.tenant_id)
    if identity.user_id is None:
        raise ValidationProblem.field("team", "an API key supervises no team: name a collector_id or team=all")
    return await worklist.team_of(session, identity.tenant_id, identity.user_id)


def period_of(profile: TenantProfile, date_from: date | None, date_to: date | None) -> Period:
    today = profile.today()
    end = date_to or today
    start = date_from or end
    if start > end:
        raise ValidationProblem.field("from", "must not be after `to`")
    if (end - start).days >= MAX_DAYS:
        raise ValidationProblem.field("from", f"a period is at most {MAX_DAYS} days")
    return Period(start, end, today, profile.timezone or "UTC")


async def situation(
    session: AsyncSession, profile: TenantProfile, user_ids: list[uuid.UUID], period: Period
) -> SupervisionOut:
    rows: list[dict[str, Any]] = []
    sizes: dict[uuid.UUID | None, int] = {}
    if user_ids:
        rows = await repository.figures(session, profile.tenant_id, user_ids, period)
        scope = worklist.Scope(tuple(user_ids))
        weights = Weights.from_stored(profile.worklist_weights)
        sizes = await worklist.list_sizes(session, profile.tenant_id, scope, day_of(profile), weights)
    people = [CollectorSituation(**row, worklist_size=sizes.get(row["user_id"], 0)) for row in rows]
    people.sort(key=lambda p: (-p.worklist_size, p.name or "", p.user_id))
    return SupervisionOut(date_from=period.date_from, date_to=period.date_to, today=period.today, collectors=people)
