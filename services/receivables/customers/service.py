"""Customers: create, change, delete; every change bumps the revision and announces a snapshot."""

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.customers import repository
from services.receivables.customers.schemas import CustomerCreate, CustomerUpdate, contact_rows
from services.receivables.models import Customer, outbox
from shared.contracts.common import ContactPoint
from shared.contracts.receivables import CustomerChanged
from shared.outbox import emit
from shared.problems import Conflict, NotFound


def customer_changed(customer: Customer) -> CustomerChanged:
    return CustomerChanged(
        customer_id=customer.id,
        revision=customer.revision,
        external_id=customer.external_id,
        name=customer.name,
        tax_id=customer.tax_id,
        country=customer.country,
        timezone=customer.timezone,
        language=customer.language,
        segment=customer.segment,
        vip=customer.vip,
        risk_level=customer.risk_level,
        tags=list(customer.tags),
        contacts=[ContactPoint.model_validate(c) for c in customer.contacts],
        opted_out_channels=list(customer.opted_out_channels),
        collector_id=customer.collector_id,
        deleted=customer.deleted,
    )


def _values(data: CustomerCreate | CustomerUpdate) -> dict:
    values = data.model_dump(exclude_unset=True, exclude={"contacts"})
    if data.contacts is not None:
        values["contacts"] = contact_rows(data.contacts)
    return values


async def create_customer(session: AsyncSession, tenant_id: uuid.UUID, data: CustomerCreate) -> Customer:
    if data.external_id and await repository.find_by_external_id(session, tenant_id, data.external_id):
        raise Conflict(f"A customer with external_id {data.external_id!r} already exists")
    customer = Customer(id=uuid.uuid4(), tenant_id=tenant_id, revision=1, **_values(data))
    session.add(customer)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"A customer with external_id {data.external_id!r} already exists") from None
    await session.refresh(customer)
    await emit(session, outbox, tenant_id, customer_changed(customer))
    return customer


async def update_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, data: CustomerUpdate
) -> Customer:
    customer = await repository.get_for_update(session, tenant_id, customer_id)
    if customer is None:
        raise NotFound("Customer not found")
    values = _values(data)
    if "name" in values and values["name"] is None:
        values.pop("name")
    for field, value in values.items():
        setattr(customer, field, value)
    customer.revision += 1
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"A customer with external_id {data.external_id!r} already exists") from None
    await session.refresh(customer)
    await emit(session, outbox, tenant_id, customer_changed(customer))
    return customer


async def delete_customer(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """Soft delete: the history stays, the customer leaves lists and dunning."""
    customer = await repository.get_for_update(session, tenant_id, customer_id)
    if customer is None:
        raise NotFound("Customer not found")
    customer.deleted = True
    customer.revision += 1
    await session.flush()
    await emit(session, outbox, tenant_id, customer_changed(customer))
