"""The typed rows the delivery queries answer (``delivery.repository``, ``delivery.queue``).

Frozen dataclasses rather than ORM objects: the sending lane reads them by the thousand from Core statements
(``RETURNING``, ``COPY``-sized batches), the tenant rows are cached across jobs, and nothing here is written back
through them. ``of`` reads a statement's row by the dataclass's field names: a column the query lacks is a KeyError
at once, a column the dataclass does not name is left out.
"""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Row

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")


def of(cls: type[D], row: Row[Any] | Mapping[str, Any]) -> D:
    """One row as ``cls``."""
    mapping = row._mapping if isinstance(row, Row) else row
    return cls(**{f.name: mapping[f.name] for f in fields(cls)})


def all_of(cls: type[D], rows: Iterable[Row[Any]]) -> list[D]:
    return [of(cls, row) for row in rows]


@dataclass(frozen=True, slots=True)
class Tenant:
    """A tenant's settings row (``models.TenantSettings``): the gateway's and dunning's facts and its own settings."""

    tenant_id: uuid.UUID
    slug: str | None
    name: str | None
    country: str | None
    timezone: str | None
    language: str | None
    default_currency: str | None
    active: bool
    tenant_event_at: datetime | None
    sandbox: bool
    test_clock: datetime | None
    profile: dict[str, Any]
    channels: dict[str, Any]
    secrets: dict[str, Any]
    holiday_subdivision: str | None
    company_holidays: list[date]
    calendar_at: datetime | None
    portal_enabled: bool
    portal_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageRow:
    """A message's row (``models.Message``) as an UPDATE ... RETURNING answers it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    idempotency_key: str
    source: str
    source_ref: str | None
    kind: str
    channel: str
    language: str
    tone: int | None
    customer_id: uuid.UUID | None
    customer_external_id: str | None
    to_address: str
    recipient_name: str | None
    timezone: str
    template_ref: str | None
    subject: str | None
    invoice_ids: list[uuid.UUID] | None
    state: str
    scheduled_at: datetime
    deferred_reason: str | None
    attempts: int
    provider_message_id: str | None
    error_code: str | None
    error: str | None
    dead_lettered: bool
    needs_pdf: bool
    resend_count: int
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Reclaimed(MessageRow):
    """A message whose sender stopped holding it, made due again or dead-lettered; with when its sender took it
    and its tenant's test clock."""

    sending_since: datetime
    test_clock: datetime | None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message taken for sending, with what it says and its tenant's test clock as the claim read it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    channel: str
    kind: str
    language: str
    to_address: str
    recipient_name: str | None
    customer_id: uuid.UUID | None
    subject: str | None
    attempts: int
    timezone: str
    updated_at: datetime
    needs_pdf: bool
    test_clock: datetime | None
    body_text: str | None
    body_html: str | None
    whatsapp: dict[str, Any] | None
    payload: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Recorded:
    """A message after its attempt's outcome was written; ``changed``: the outcome moved its state."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    idempotency_key: str
    source: str
    source_ref: str | None
    customer_id: uuid.UUID | None
    customer_external_id: str | None
    kind: str
    channel: str
    to_address: str
    subject: str | None
    invoice_ids: list[uuid.UUID] | None
    state: str
    attempts: int
    error: str | None
    error_code: str | None
    scheduled_at: datetime
    deferred_reason: str | None
    changed: bool
