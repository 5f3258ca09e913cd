"""A call step's script is checked by messaging, which owns the templates' tags and their checks (issue 18): asked
over its internal HTTP API as ``service:dunning``, so dunning keeps no copy of the tag catalogue."""

import uuid
from typing import Annotated

import httpx
from fastapi import Depends, Request

from shared.internal import InternalClient
from shared.problems import ServiceUnavailable

CHECK_PATH = "/internal/script-checks"


class MessagingUnavailable(ServiceUnavailable):
    """The script may well be fine: the caller tries again rather than hear it is wrong."""

    slug, title = "messaging-unavailable", "Messaging did not answer the check of a call step's script"


class ScriptChecks:
    """Messaging's ``POST /internal/script-checks``."""

    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def problems(self, tenant_id: uuid.UUID, sources: list[str]) -> list[list[str]]:
        """Per source, in order, what is wrong with it (empty lists when fine)."""
        if not sources:
            return []
        try:
            response = await self.client.request("POST", "messaging", CHECK_PATH, tenant_id, json={"sources": sources})
            answer = [[str(p) for p in problems] for problems in response.json()["problems"]]
        except (httpx.HTTPError, ValueError, TypeError, KeyError) as exc:
            raise MessagingUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
        if len(answer) != len(sources):
            raise MessagingUnavailable("messaging answered for another number of scripts")
        return answer


async def script_checks(request: Request) -> ScriptChecks:
    """The checks a request uses (tests route them to the in-process messaging)."""
    return ScriptChecks(InternalClient(request.app.state.http, request.app.state.settings))


ScriptChecksDep = Annotated[ScriptChecks, Depends(script_checks)]
