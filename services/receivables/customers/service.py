"""Customers: create, change, delete; every change bumps the revision and announces a snapshot."""

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.customers import repository
from services.receivables.customers.schemas import CustomerCreate, CustomerUpdate, contact_rows, merge_contacts
from services.receivables.events import emit_customers_changed
from services.receivables.models import Customer
from services.receivables.people.repository import require_person, require_user
from services.receivables.people.schemas import PersonKind
from services.receivables.timeline.repository import add_entries
from shared.identity import COLLECTOR
from shared.problems import Conflict, NotFound
from shared.tenant_users import TenantUsers


def _values(data: CustomerCreate | CustomerUpdate) -> dict[str, Any]:
    values = data.model_dump(exclude_unset=True, exclude={"contacts"})
    if data.contacts is not None:
        values["contacts"] = contact_rows(data.contacts)
    return values


async def _check_people(
    session: AsyncSession, tenant_id: uuid.UUID, values: dict[str, Any], gateway: TenantUsers
) -> None:
    """The collector must be a collector of the tenant, the advisor one of its business advisors."""
    if values.get("collector_id") is not None:
        await require_user(session, tenant_id, values["collector_id"], "collector_id", COLLECTOR, gateway=gateway)
    if values.get("advisor_id") is not None:
        await require_person(session, tenant_id, values["advisor_id"], "advisor_id", PersonKind.ADVISOR)


async def create_customer(
    session: AsyncSession, tenant_id: uuid.UUID, data: CustomerCreate, gateway: TenantUsers
) -> Customer:
    if data.external_id and await repository.find_by_external_id(session, tenant_id, data.external_id):
        raise Conflict(f"A customer with external_id {data.external_id!r} already exists")
    values = _values(data)
    await _check_people(session, tenant_id, values, gateway)
    customer = Customer(id=uuid.uuid4(), tenant_id=tenant_id, revision=1, **values)
    session.add(customer)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"A customer with external_id {data.external_id!r} already exists") from None
    await session.refresh(customer)
    await emit_customers_changed(session, tenant_id, [customer.id])
    return customer


async def update_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, data: CustomerUpdate, gateway: TenantUsers
) -> Customer:
    customer = await repository.get_for_update(session, tenant_id, customer_id)
    if customer is None:
        raise NotFound("Customer not found")
    values = _values(data)
    for field in ("name", "vip", "tags", "opted_out_channels"):
        if field in values and values[field] is None:
            values.pop(field)
    await _check_people(session, tenant_id, values, gateway)
    if "contacts" in values:  # an address messaging found invalid stays invalid when it is sent again
        values["contacts"] = merge_contacts(customer.contacts, values["contacts"])
    for field, value in values.items():
        setattr(customer, field, value)
    customer.revision += 1
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"A customer with external_id {data.external_id!r} already exists") from None
    await session.refresh(customer)
    await emit_customers_changed(session, tenant_id, [customer.id])
    return customer


async def delete_customer(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """Soft delete: the history stays, the customer leaves lists and dunning."""
    customer = await repository.get_for_update(session, tenant_id, customer_id)
    if customer is None:
        raise NotFound("Customer not found")
    customer.deleted = True
    customer.revision += 1
    await session.flush()
    await emit_customers_changed(session, tenant_id, [customer.id])
    await add_entries(
        session, tenant_id, [{"customer_id": customer.id, "kind": "customer", "summary": "Customer removed"}]
    )
