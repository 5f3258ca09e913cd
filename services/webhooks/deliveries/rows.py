"""The typed rows the deliveries repository answers: one frozen dataclass per shape it reads, so the router, the
service and the delivery loop name fields, not dictionary keys."""

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Self

from sqlalchemy import RowMapping


class _FromRow:
    """Build from a row mapping whose keys are exactly the dataclass's fields (the SQL's column names)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]  # every subclass is a dataclass

    @classmethod
    def of(cls, row: RowMapping) -> Self:
        return cls(**row)

    def as_dict(self) -> dict[str, Any]:
        """The fields, shallow (for the API's pydantic models to validate)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class StoredEvent(_FromRow):
    """A row of ``webhooks.events``."""

    tenant_id: uuid.UUID
    event_id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryRow(_FromRow):
    """A row of ``webhooks.deliveries``."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: str
    event_type: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    replay: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AttemptRow(_FromRow):
    """A row of ``webhooks.attempts``."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    delivery_id: uuid.UUID
    at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class EndpointRow(_FromRow):
    """A row of ``webhooks.endpoints`` (as the delivery loop changes it: failing, disabled)."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    last_success_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimedDelivery(_FromRow):
    """A due delivery the loop took (``repository.claim_due``), with what sending it needs: its event, the
    endpoint's URL, the secrets that sign now (newest first) and the tenant's settings."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: str
    attempts: int
    type: str
    occurred_at: datetime
    data: dict[str, Any]
    url: str
    failing_since: datetime | None
    secrets: list[str]
    allow_private_urls: bool
    disable_after_days: int
