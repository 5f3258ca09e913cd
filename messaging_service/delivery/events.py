"""The events messaging announces, built from a message row (ORM object or Core row alike)."""

from datetime import UTC, datetime
from typing import Any

from shared.contracts.messaging import MessageState, MessageStatusChanged

PREVIEW_CHARS = 280


def preview(row: Any) -> str | None:
    text = row.body_text
    if not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def status_changed(row: Any, state: str | None = None, at: datetime | None = None) -> MessageStatusChanged:
    """What receivables shows in the timeline and dunning records as a step done."""
    return MessageStatusChanged(
        message_id=row.id,
        idempotency_key=row.idempotency_key,
        source=row.source,
        source_ref=row.source_ref,
        customer_id=row.customer_id,
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
        preview=preview(row),
        occurred_at=at or datetime.now(UTC),
    )
