"""Which address of a customer may be used on a channel: pure functions."""

from collections.abc import Iterable, Mapping
from typing import Any


def usable_address(contacts: Iterable[Mapping[str, Any]], opted_out: Iterable[str], channel: str) -> str | None:
    """The first address on ``channel`` not found invalid, unless the customer opted out of the channel."""
    if channel in set(opted_out):
        return None
    for contact in contacts:
        if contact.get("channel") == channel and not contact.get("invalid"):
            return contact.get("address")
    return None


def why_unusable(contacts: Iterable[Mapping[str, Any]], opted_out: Iterable[str], channel: str) -> str:
    contacts = list(contacts)
    if channel in set(opted_out):
        return f"the customer opted out of {channel}"
    if any(c.get("channel") == channel for c in contacts):
        return f"every {channel} address of the customer was found invalid"
    return f"the customer has no {channel} address"
