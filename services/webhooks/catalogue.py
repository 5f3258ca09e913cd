"""Which internal events become which catalogue events (``shared.contracts.webhooks``): the one mapping.

Interface between the service (which stores and delivers) and the catalogue (which decides what is announced):
``CONSUMED_MESSAGES`` are the internal message types the webhooks worker handles; ``webhook_events`` turns a batch
of them into the events to deliver; ``document_webhooks`` adds every event type's payload to the app's OpenAPI
``webhooks`` section. Filled in by the catalogue work of issue 14.
"""

from typing import Any

from fastapi import FastAPI

from shared.contracts.webhooks import OutgoingEvent
from shared.inbox import Received
from shared.messages import Message

CONSUMED_MESSAGES: tuple[type[Message], ...] = ()


def webhook_events(batch: list[Received[Any]]) -> list[OutgoingEvent]:
    """The catalogue events a batch of internal messages announces, in order."""
    return []


def document_webhooks(app: FastAPI) -> None:
    """Declare every catalogue event type in ``app``'s OpenAPI ``webhooks`` section."""
