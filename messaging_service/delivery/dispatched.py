"""A dunning run's communications by reference (``SendDispatchedCommunications``, issue 13): their content is
dunning's, asked over its internal HTTP API (``POST /internal/dispatched-communications``) as ``service:messaging``
when messaging accepts them, each communication as ``SendCommunications`` would have carried it."""

import uuid
from typing import Any

import httpx
import orjson
import structlog
from arq import Retry

from shared.contracts.messaging import DISPATCHES_ASKED_AT_ONCE
from shared.internal import InternalClient

ASK_PATH = "/internal/dispatched-communications"
log = structlog.get_logger(__name__)


class DunningUnavailable(Retry):
    """Dunning did not answer: the commands are taken again shortly (nothing of them was accepted)."""


async def dispatched_communications(
    dunning: InternalClient, tenant_id: uuid.UUID, dispatch_ids: list[uuid.UUID]
) -> list[dict[str, Any]]:
    """The communications of these dispatches, in order (a dispatch dunning no longer knows is left out)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(dispatch_ids), DISPATCHES_ASKED_AT_ONCE):
        asked = [str(i) for i in dispatch_ids[start : start + DISPATCHES_ASKED_AT_ONCE]]
        try:
            response = await dunning.request("POST", "dunning", ASK_PATH, tenant_id, json={"dispatch_ids": asked})
            found.extend(orjson.loads(response.content)["communications"])
        except (httpx.HTTPError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise DunningUnavailable(defer=10) from exc
    if len(found) < len(dispatch_ids):  # written with the command, in one transaction: never, short of a restore
        log.warning("dispatches_not_found", tenant_id=str(tenant_id), asked=len(dispatch_ids), found=len(found))
    return found
