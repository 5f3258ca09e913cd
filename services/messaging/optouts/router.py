"""Opt-outs (the customer asked for no more messages on a channel) and invalid contacts (a permanent delivery
error), as lists an operator can read and correct."""

import uuid
from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete, select, tuple_

from services.messaging import examples
from services.messaging.delivery.acceptance import normalize_address
from services.messaging.delivery.suppressions import INVALID, OPT_OUT, suppress
from services.messaging.models import Suppression
from services.messaging.optouts.auth import OptOutDelete, OptOutRead, OptOutWrite
from shared.contracts.common import Channel
from shared.db import EngineDep, SessionDep
from shared.external_ids import ExternalIdLookUpDep, form_errors
from shared.pagination import Page, PageDep, make_page, typed_cursor
from shared.problems import NotFound, ValidationProblem, problem_responses

router = APIRouter(prefix="/v1/opt-out", tags=["opt-out"], responses=problem_responses(401, 403, 422))
invalid_router = APIRouter(
    prefix="/v1/messaging-settings/invalid-contacts", tags=["messaging-settings"], responses=problem_responses(401, 403)
)

table = Suppression.__table__


class SuppressionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.SUPPRESSION_OUT]})

    id: uuid.UUID
    channel: Channel
    address: str
    customer_id: uuid.UUID | None
    source: str = Field(examples=["sms_stop", "unsubscribe_link", "api", "email_provider"])
    reason: str | None
    created_at: datetime


class OptOutIn(BaseModel):
    """Record that a customer asked not to be contacted on a channel (e.g. told a collector on the phone)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.OPT_OUT_IN]})

    channel: Channel
    address: str = Field(min_length=3, max_length=320, examples=["+5491155551234"])
    customer_id: uuid.UUID | None = Field(None, description="The customer (or `customer_external_id`; else none)")
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )
    reason: str | None = Field(None, max_length=500, examples=["Pidió por teléfono no recibir más SMS"])

    @model_validator(mode="after")
    def _normalize(self) -> "OptOutIn":
        try:
            self.address = normalize_address(self.channel, self.address)
        except ValueError as exc:
            raise ValueError(f"address: {exc}") from None
        return self


async def _list(
    engine: EngineDep,
    tenant_id: uuid.UUID,
    kind: str,
    page: PageDep,
    channel: Channel | None,
    customer_id: uuid.UUID | None,
    address: str | None,
) -> dict:
    query = select(table).where(table.c.tenant_id == tenant_id, table.c.kind == kind)
    if channel:
        query = query.where(table.c.channel == channel.value)
    if customer_id:
        query = query.where(table.c.customer_id == customer_id)
    if address:
        query = query.where(table.c.address == address)
    if page.cursor:
        created, ident = typed_cursor(page.cursor, datetime.fromisoformat, uuid.UUID)
        query = query.where(tuple_(table.c.created_at, table.c.id) < tuple_(created, ident))
    query = query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(page.limit + 1)
    async with engine.connect() as conn:
        rows = list((await conn.execute(query)).mappings().all())
    return make_page(rows, page.limit, key=lambda r: [r["created_at"].isoformat(), r["id"]], item=dict)


@router.get("", response_model=Page[SuppressionOut])
async def list_opt_outs(
    identity: OptOutRead,
    engine: EngineDep,
    page: PageDep,
    channel: Channel | None = None,
    customer_id: uuid.UUID | None = None,
    address: str | None = None,
) -> dict:
    """Opt-outs, newest first: SMS STOP replies, unsubscribe links, recorded by people."""
    return await _list(engine, identity.tenant_id, OPT_OUT, page, channel, customer_id, address)


@router.post("", response_model=SuppressionOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(503))
async def record_opt_out(
    identity: OptOutWrite, data: OptOutIn, session: SessionDep, external_ids: ExternalIdLookUpDep
) -> SuppressionOut:
    """Record an opt-out: messages waiting for the address fail at once, receivables is told. The customer may
    be named by the ERP's id, `customer_external_id` (an unknown one is a 422 naming it; receivables out of reach
    is a 503)."""
    errors = form_errors(data.customer_id, data.customer_external_id, customer_required=False)
    if errors:
        raise ValidationProblem(errors)
    customer_id = data.customer_id
    if data.customer_external_id is not None:
        named = {"customer_external_id": data.customer_external_id}
        customer_id = (await external_ids.require(identity.tenant_id, "customer", named))["customer_external_id"]
    await suppress(
        session,
        identity.tenant_id,
        kind=OPT_OUT,
        channel=data.channel.value,
        address=data.address,
        customer_id=customer_id,
        source="api",
        reason=data.reason or f"recorded by {identity.actor}",
        customer_external_id=data.customer_external_id,
    )
    row = (
        await session.execute(
            select(table).where(
                table.c.tenant_id == identity.tenant_id,
                table.c.kind == OPT_OUT,
                table.c.channel == data.channel.value,
                table.c.address == data.address,
            )
        )
    ).one()
    return SuppressionOut.model_validate(row)


@router.delete("/{opt_out_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404))
async def delete_opt_out(identity: OptOutDelete, opt_out_id: uuid.UUID, session: SessionDep) -> Response:
    """Withdraw an opt-out (the customer asked to be contacted again on this channel)."""
    await _delete(session, identity.tenant_id, OPT_OUT, opt_out_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@invalid_router.get("", response_model=Page[SuppressionOut])
async def list_invalid_contacts(
    identity: OptOutRead,
    engine: EngineDep,
    page: PageDep,
    channel: Channel | None = None,
    customer_id: uuid.UUID | None = None,
    address: str | None = None,
) -> dict:
    """Addresses a permanent delivery error showed invalid (hard bounce, invalid number): never used again."""
    return await _list(engine, identity.tenant_id, INVALID, page, channel, customer_id, address)


@invalid_router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404))
async def delete_invalid_contact(identity: OptOutDelete, contact_id: uuid.UUID, session: SessionDep) -> Response:
    """Use the address again (the customer fixed the mailbox or the number)."""
    await _delete(session, identity.tenant_id, INVALID, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _delete(session: SessionDep, tenant_id: uuid.UUID, kind: str, ident: uuid.UUID) -> None:
    result = await session.execute(
        delete(table).where(table.c.tenant_id == tenant_id, table.c.kind == kind, table.c.id == ident)
    )
    if not result.rowcount:
        raise NotFound("No such entry")
