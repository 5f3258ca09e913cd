"""Whether a link still opens its customer's page (issue 17): pure, the caller passes the link's facts and now."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class LinkState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"
    REVOKED = "revoked"
    DISABLED = "disabled"  # the tenant turned its portal off


@dataclass(frozen=True, slots=True)
class LinkFacts:
    issued_at: datetime
    revoked_at: datetime | None
    valid_days: int
    revoked_before: datetime | None  # the tenant revoked every link issued before this
    portal_enabled: bool


def link_state(facts: LinkFacts, now: datetime) -> LinkState:
    """Revoked (the link, or every link of the tenant up to then) before expired: the stronger reason is kept
    in the audit. The debtor sees one friendly page whatever the reason (nothing to learn by trying links)."""
    if not facts.portal_enabled:
        return LinkState.DISABLED
    if facts.revoked_at is not None and facts.revoked_at <= now:
        return LinkState.REVOKED
    if facts.revoked_before is not None and facts.issued_at <= facts.revoked_before:
        return LinkState.REVOKED
    if now >= facts.issued_at + timedelta(days=facts.valid_days):
        return LinkState.EXPIRED
    return LinkState.OPEN


def expires_at(issued_at: datetime, valid_days: int) -> datetime:
    return issued_at + timedelta(days=valid_days)
