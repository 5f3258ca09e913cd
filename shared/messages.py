"""Typed, versioned messages between services: events (facts, many consumers) and commands (one handler).

A message class names its ``message_type`` and ``version``; its ``consumers`` (the services whose queues receive
it, read by the outbox relay) come from what each consumer declares it reads (``shared/contracts/subscriptions.py``).
Payloads cross the wire inside an ``Envelope`` as JSON. Adding an optional field keeps the version; anything else
is a new version.
"""

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    message_type: ClassVar[str]
    version: ClassVar[int] = 1
    consumers: ClassVar[tuple[str, ...]] = ()  # set by shared.contracts from the subscriptions


class Event(Message):
    """A fact that happened in the producing service."""


class Command(Message):
    """A request for one service to do something: one service subscribes to it."""


REGISTRY: dict[tuple[str, int], type[Message]] = {}
M = TypeVar("M", bound=type[Message])


def register(cls: M) -> M:
    key = (cls.message_type, cls.version)
    if key in REGISTRY and REGISTRY[key] is not cls:
        raise RuntimeError(f"message {key} registered twice")
    REGISTRY[key] = cls
    return cls


class Envelope(BaseModel):
    """What travels: the message's identity and type around its JSON payload."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int
    tenant_id: uuid.UUID | None
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    payload: dict[str, Any]

    @classmethod
    def wrap(cls, message: Message, tenant_id: uuid.UUID | None, message_id: uuid.UUID | None = None) -> "Envelope":
        return cls(
            id=message_id or uuid.uuid4(),
            type=message.message_type,
            version=message.version,
            tenant_id=tenant_id,
            payload=message.model_dump(mode="json"),
        )

    def open(self) -> Message:
        """The typed message, or ``KeyError`` for a type/version this code does not know."""
        return REGISTRY[(self.type, self.version)].model_validate(self.payload)
