"""The events messaging announces, built from a message row (ORM object or Core row alike).

``status_changed`` builds the contract's model (used where a few events are written). The bulk paths (acceptance
and delivery of whole batches) write outbox rows directly with ``status_rows``: the same JSON, without two pydantic
models per event; ``test_status_rows_match_the_contract`` keeps the two identical.
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.contracts.messaging import MessageState, MessageStatusChanged

PREVIEW_CHARS = 280


class MessageFacts(Protocol):
    """What an event reads of a message: an ORM ``Message``, a typed row of ``delivery.rows`` or a row being
    accepted alike."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def source_ref(self) -> str | None: ...
    @property
    def customer_id(self) -> uuid.UUID | None: ...
    @property
    def customer_external_id(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def to_address(self) -> str: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def invoice_ids(self) -> list[uuid.UUID] | None: ...
    @property
    def state(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def error(self) -> str | None: ...
    @property
    def error_code(self) -> str | None: ...
    @property
    def scheduled_at(self) -> datetime: ...
    @property
    def deferred_reason(self) -> str | None: ...


def preview(row: MessageFacts) -> str | None:
    text = getattr(row, "body_text", None)
    if not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def status_changed(
    row: MessageFacts, state: str | None = None, at: datetime | None = None, with_preview: bool = True
) -> MessageStatusChanged:
    """What receivables shows in the timeline and dunning records as a step done. The preview of the text goes
    with the acceptance; later changes of the same message carry none."""
    return MessageStatusChanged(
        message_id=row.id,
        idempotency_key=row.idempotency_key,
        source=row.source,
        source_ref=row.source_ref,
        customer_id=row.customer_id,
        customer_external_id=row.customer_external_id,
        kind=row.kind,
        channel=row.channel,
        to=row.to_address,
        subject=row.subject,
        invoice_ids=list(row.invoice_ids or []),
        state=MessageState(state or row.state),
        attempts=row.attempts,
        error=row.error,
        error_code=row.error_code,
        scheduled_at=row.scheduled_at,
        deferred_reason=row.deferred_reason,
        preview=preview(row) if with_preview else None,
        occurred_at=at or datetime.now(UTC),
    )


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def status_payload(row: MessageFacts, at: datetime, with_preview: bool) -> dict[str, Any]:
    """``MessageStatusChanged.model_dump(mode="json")`` for a row, written by hand."""
    return {
        "message_id": str(row.id),
        "idempotency_key": row.idempotency_key,
        "source": row.source,
        "source_ref": row.source_ref,
        "customer_id": str(row.customer_id) if row.customer_id else None,
        "customer_external_id": row.customer_external_id,
        "kind": row.kind,
        "channel": row.channel,
        "to": row.to_address,
        "subject": row.subject,
        "invoice_ids": [str(i) for i in row.invoice_ids or ()],
        "state": row.state,
        "attempts": row.attempts,
        "error": row.error,
        "occurred_at": _iso(at),
        "error_code": row.error_code,
        "scheduled_at": _iso(row.scheduled_at),
        "deferred_reason": row.deferred_reason,
        "preview": preview(row) if with_preview else None,
    }


def status_rows(
    tenant_id: uuid.UUID, rows: Iterable[MessageFacts], at: datetime, with_preview: bool
) -> list[dict[str, Any]]:
    """Outbox rows announcing each row's state, as ``shared.outbox.emit_many`` would write them."""
    return [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "message_type": MessageStatusChanged.message_type,
            "version": MessageStatusChanged.version,
            "consumers": list(MessageStatusChanged.consumers),
            "payload": status_payload(row, at, with_preview),
            "occurred_at": at,
        }
        for row in rows
    ]
