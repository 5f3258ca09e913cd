"""A provider callback as the gateway stored it (``messaging.webhook_received``), read back: pure, no I/O."""

import base64
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from shared.contracts.messaging import WebhookReceived

PREFIX = "/webhooks/messaging/"
TWILIO_PATH = re.compile(r"twilio/([0-9a-fA-F-]{36})/(status|inbound)/?")
WHATSAPP_PATH = re.compile(r"whatsapp(?:/([0-9a-fA-F-]{36}))?/?")


@dataclass(frozen=True, slots=True)
class StoredRequest:
    kind: str  # twilio_status, twilio_inbound, whatsapp, email_inbound
    tenant_id: uuid.UUID | None  # the tenant the path names
    body: bytes
    query: dict[str, str]
    headers: dict[str, str]
    signed_urls: list[str]

    def form(self) -> list[tuple[str, str]]:
        """Twilio's parameters (application/x-www-form-urlencoded), in order, repeats kept."""
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def whatsapp_values(self) -> list[dict[str, Any]] | None:
        """The ``value`` of every change of a WhatsApp webhook; None when the body is not JSON."""
        try:
            body = json.loads(self.body)
        except ValueError:
            return None
        entries = body.get("entry") or [] if isinstance(body, dict) else []
        return [
            change.get("value") or {}
            for entry in entries
            if isinstance(entry, dict)
            for change in entry.get("changes") or []
            if isinstance(change, dict)
        ]


def read_stored(command: WebhookReceived) -> StoredRequest | None:
    """The request, or None when its path is not a callback we know (the gateway stores only those)."""
    tail = command.path[len(PREFIX) :] if command.path.startswith(PREFIX) else ""
    kind, tenant = None, None
    if match := TWILIO_PATH.fullmatch(tail):
        kind, tenant = f"twilio_{match.group(2)}", match.group(1)
    elif match := WHATSAPP_PATH.fullmatch(tail):
        kind, tenant = "whatsapp", match.group(1)
    elif tail.rstrip("/") == "email/inbound":
        kind = "email_inbound"
    if kind is None:
        return None
    try:
        tenant_id = uuid.UUID(tenant) if tenant else None
        body = base64.b64decode(command.body_base64, validate=True)
    except ValueError:
        return None
    return StoredRequest(
        kind=kind,
        tenant_id=tenant_id,
        body=body,
        query=dict(parse_qsl(command.query, keep_blank_values=True)),
        headers={k.lower(): v for k, v in command.headers.items()},
        signed_urls=command.signed_urls,
    )
