"""Opt-outs recorded by people or the ERP: the customer named by either id, the address suppressed (messages waiting
for it fail at once, receivables is told)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery.suppressions import OPT_OUT, suppress
from messaging_service.optouts import repository
from messaging_service.optouts.schemas import OptOutIn, SuppressionOut
from shared.external_ids import ExternalIdLookUp, form_errors
from shared.problems import NotFound, ValidationProblem


async def record_opt_out(
    session: AsyncSession, external_ids: ExternalIdLookUp, tenant_id: uuid.UUID, actor: str, data: OptOutIn
) -> SuppressionOut:
    errors = form_errors(data.customer_id, data.customer_external_id, customer_required=False)
    if errors:
        raise ValidationProblem(errors)
    customer_id = data.customer_id
    if data.customer_external_id is not None:
        named = {"customer_external_id": data.customer_external_id}
        customer_id = (await external_ids.require(tenant_id, "customer", named))["customer_external_id"]
    await suppress(
        session,
        tenant_id,
        kind=OPT_OUT,
        channel=data.channel.value,
        address=data.address,
        customer_id=customer_id,
        source="api",
        reason=data.reason or f"recorded by {actor}",
        customer_external_id=data.customer_external_id,
    )
    return await repository.find_suppression(session, tenant_id, OPT_OUT, data.channel.value, data.address)


async def remove(session: AsyncSession, tenant_id: uuid.UUID, kind: str, ident: uuid.UUID) -> None:
    if not await repository.delete_suppression(session, tenant_id, kind, ident):
        raise NotFound("No such entry")
