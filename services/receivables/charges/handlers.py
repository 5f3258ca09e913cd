"""Late charges from dunning's runs (``ChargesAssessed``): recorded once by key, announced, logged."""

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.charges import repository
from services.receivables.tenant_settings.repository import load_profile
from shared.contracts.dunning import ChargesAssessed
from shared.inbox import Received, messages_by_tenant


async def on_charges_assessed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[ChargesAssessed]]
) -> None:
    """Record every assessed charge not recorded yet, one statement per tenant: the same key in two messages (a
    period assessed again, a run repeated) or the same message twice records, announces and logs it once."""
    for tenant_id, messages in messages_by_tenant(batch).items():
        rows = [charge.model_dump(mode="json") for message in messages for charge in message.charges]
        if rows:
            now = (await load_profile(session, tenant_id)).clock.now()
            await repository.record(session, tenant_id, orjson.dumps(rows).decode(), now)
