"""Today's worklist: whose list the caller may read, one ranked page from the repository, each row explained by the
pure rules (reasons, objective, channel) in the tenant's words."""

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.people.repository import require_user
from services.receivables.tenant_settings.repository import TenantProfile
from services.receivables.worklist import repository, rules
from services.receivables.worklist.auth import check_supervises
from services.receivables.worklist.repository import Day, Scope
from services.receivables.worklist.schemas import (
    ChannelOut,
    ObjectiveOut,
    ReasonOut,
    Team,
    WorklistCustomer,
    WorklistItem,
)
from shared.db import row_as
from shared.identity import Identity
from shared.pagination import PageParams, make_page, typed_cursor
from shared.problems import ValidationProblem
from shared.tenant_users import TenantUsers
from shared.words import Words, words


def day_of(profile: TenantProfile) -> Day:
    """The tenant's today and the instant it began, in its zone."""
    today = profile.today()
    zone = profile.timezone or "UTC"
    return Day(today, datetime.combine(today, time(), tzinfo=ZoneInfo(zone)), zone)


async def scope_for(
    session: AsyncSession,
    identity: Identity,
    collector_id: uuid.UUID | None,
    team: Team | None,
    gateway: TenantUsers,
) -> Scope:
    """Whose customers the caller asked for, if the caller may: by default its own (a person's call); another
    collector's, the caller's team (``mine``) or the whole portfolio (``all``) for those who supervise."""
    if collector_id is not None and team is not None:
        raise ValidationProblem.field("team", "give either collector_id or team, not both")
    if team is Team.ALL:
        check_supervises(identity, "the whole portfolio's worklist")
        return Scope(everyone=True)
    if team is Team.MINE:
        check_supervises(identity, "a team's worklist")
        supervisor = _person(identity, "team")
        return Scope(tuple(await repository.team_of(session, identity.tenant_id, supervisor)))
    if collector_id is not None and collector_id != identity.user_id:
        check_supervises(identity, "another collector's worklist")
        await require_user(session, identity.tenant_id, collector_id, "collector_id", gateway=gateway)
        return Scope((collector_id,))
    return Scope((_person(identity, "collector_id"),))


def _person(identity: Identity, field: str) -> uuid.UUID:
    if identity.user_id is None:
        raise ValidationProblem.field(field, "an API key has no list of its own: name a collector_id or a team")
    return identity.user_id


def facts_of(row: dict[str, Any], today: date) -> rules.Facts:
    """The repository's row as the rules' facts: the columns taken by name (``row_as``), the promises, signs and
    contacts made the rules' types."""
    converted = {
        "today": today,
        "last_broken": _promise(row["last_broken"]),
        "next_promise": _promise(row["next_promise"]),
        "signs": tuple(row["signs"]),
        "contacts": tuple(row["contacts"] or ()),
        "opted_out": tuple(row["opted_out_channels"] or ()),
    }
    return row_as(rules.Facts, row | converted)


def _promise(data: dict[str, Any] | None) -> rules.PromiseFact | None:
    if data is None:
        return None
    resolved = data.get("resolved_on")
    return rules.PromiseFact(
        promised_date=date.fromisoformat(data["promised_date"]),
        amount=Decimal(str(data["amount"])),
        currency=data["currency"],
        resolved_on=date.fromisoformat(resolved) if resolved else None,
    )


def item_of(row: dict[str, Any], today: date, weights: rules.Weights, said: Words) -> WorklistItem:
    facts = facts_of(row, today)
    found = rules.reasons(facts, weights, said)
    goal, why = rules.objective(facts)
    channel, address, because = rules.channel(facts, goal)
    return WorklistItem(
        customer=WorklistCustomer(
            id=row["id"], external_id=row["external_id"], name=row["name"], collector_id=row["collector_id"]
        ),
        score=row["score"],
        reasons=[
            ReasonOut(code=r.code, weight=r.weight, points=r.points, text=r.text, evidence=r.evidence) for r in found
        ],
        objective=ObjectiveOut(code=goal, why=why),
        channel=ChannelOut(code=channel, address=address, why=because),
    )


async def worklist(
    session: AsyncSession, profile: TenantProfile, scope: Scope, page: PageParams, weights: rules.Weights
) -> dict[str, Any]:
    """One page of today's list, best score first."""
    after = None
    if page.cursor:
        score, customer_id = typed_cursor(page.cursor, Decimal, uuid.UUID)
        after = (score, customer_id)
    day = day_of(profile)
    rows = await repository.worklist_page(session, profile.tenant_id, scope, day, weights, page.limit, after)
    said = words(profile.language, profile.country)
    return make_page(
        rows,
        page.limit,
        key=lambda r: [str(r["score"]), str(r["id"])],
        item=lambda r: item_of(r, day.today, weights, said),
    )
