"""Projection rows as the rules see them."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from dunning_service.projection.rules import Contact, CustomerView, InvoiceView
from shared.contracts.common import Channel, InvoiceKind, InvoiceStatus

CUSTOMER_EXTRA = ("external_id", "tax_id", "timezone", "language", "collector_id", "people")


CHANNELS = {c.value: c for c in Channel}


def _json(value: Any) -> Any:
    """JSONB columns arrive decoded, or as text when a bulk query casts them (orjson is much faster)."""
    return orjson.loads(value) if isinstance(value, str) else value


def customer_view(row: Mapping[Any, Any]) -> CustomerView:
    extra = {k: row[k] for k in CUSTOMER_EXTRA}
    extra["people"] = _json(extra["people"])
    extra["credits"] = {c: Decimal(a) for c, a in (_json(row.get("credits")) or {}).items()}
    return CustomerView(
        id=row["id"],
        name=row["name"],
        vip=row["vip"],
        segment=row["segment"],
        risk_level=row["risk_level"],
        computed_risk_level=row.get("computed_risk_level"),
        tags=frozenset(row["tags"] or ()),
        country=row["country"],
        language=row["language"],
        contacts=tuple(
            Contact(CHANNELS[c["channel"]], c["address"], bool(c.get("invalid"))) for c in _json(row["contacts"]) or ()
        ),
        opted_out=frozenset(CHANNELS[c] for c in row["opted_out_channels"] or ()),
        deleted=row["deleted"],
        replied_on=row.get("replied_on"),
        extra=extra,
    )


def invoice_view(
    row: Mapping[Any, Any],
    pending_cutoff: datetime | None = None,
    open_action_items: Mapping[uuid.UUID, uuid.UUID] | None = None,
) -> InvoiceView:
    pending_since = row.get("pending_since")
    return InvoiceView(
        id=row["id"],
        customer_id=row["customer_id"],
        number=row["number"],
        currency=row["currency"],
        amount=row["amount"],
        open_amount=row["open_amount"],
        issue_date=row["issue_date"],
        due_date=row["due_date"],
        status=InvoiceStatus(row["status"]),
        kind=InvoiceKind(row["kind"]),
        promised_date=row.get("promised_date"),
        reported_date=row.get("reported_date"),
        missing_upstream=bool(row.get("missing_upstream")),
        steps_done=frozenset(row.get("steps_done") or ()),
        pending_step_id=row.get("pending_step_id"),
        pending_active=bool(
            row.get("pending_accepted") or (pending_since and pending_cutoff and pending_since > pending_cutoff)
        ),
        stopped_by_action=bool(row.get("stopped_by_action")),
        open_action_item=(open_action_items or {}).get(row["id"]),
        extra={"external_id": row.get("external_id"), "document_url": row.get("document_url")},
        plan_id=row.get("plan_id"),
    )
