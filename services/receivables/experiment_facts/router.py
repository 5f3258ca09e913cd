"""Dunning's experiments ask receivables, the system of record, for each customer's facts over a period
(``POST /internal/experiment-facts``): promises made, the invoices that count and how they were paid, the amounts
collected per currency. Dunning aggregates them per variant (``dunning_service/experiments/results.py``)."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.receivables.experiment_facts import repository
from services.receivables.experiment_facts.auth import ServiceCall
from services.receivables.experiment_facts.rules import invoice_fact
from services.receivables.tenant_settings.repository import load_profile
from shared.db import SessionDep

router = APIRouter(prefix="/internal/experiment-facts", include_in_schema=False)


class FactsAsked(BaseModel):
    customer_ids: list[uuid.UUID] = Field(max_length=10_000)
    start: date
    end: date
    window_days: int = Field(ge=1, le=365)


class InvoiceFactOut(BaseModel):
    invoice_id: uuid.UUID
    currency: str
    due_date: date
    closed_on: date | None
    paid_within: bool
    days_to_pay: int | None


class CollectedOut(BaseModel):
    currency: str
    amount: Decimal


class CustomerFacts(BaseModel):
    customer_id: uuid.UUID
    promises: int = Field(description="Promises made in [start, end] (the tenant's days)")
    invoices: list[InvoiceFactOut]
    collected: list[CollectedOut] = Field(description="Payments dated in [start, end], per currency")


class FactsOut(BaseModel):
    customers: list[CustomerFacts]


@router.post("", response_model=FactsOut)
async def experiment_facts(identity: ServiceCall, data: FactsAsked, session: SessionDep) -> dict[str, Any]:
    """Every customer asked, in the order asked, with its facts (zero and empty when it has none)."""
    profile = await load_profile(session, identity.tenant_id)
    params = {
        "tenant_id": identity.tenant_id,
        "ids": data.customer_ids,
        "start": data.start,
        "end": data.end,
        "tz": profile.timezone or "UTC",
    }
    found = await repository.facts(session, params)
    out: dict[uuid.UUID, dict[str, Any]] = {
        c: {"customer_id": c, "promises": found.promises.get(c, 0), "invoices": [], "collected": []}
        for c in data.customer_ids
    }
    for row in found.invoices:
        fact = invoice_fact(row.due_date, row.closed_on, row.paid, data.start, data.window_days)
        out[row.customer_id]["invoices"].append(
            {
                "invoice_id": row.invoice_id,
                "currency": row.currency,
                "due_date": row.due_date,
                "closed_on": row.closed_on,
                "paid_within": fact.paid_within,
                "days_to_pay": fact.days_to_pay,
            }
        )
    for customer_id, currency, amount in found.collected:
        out[customer_id]["collected"].append({"currency": currency, "amount": amount})
    return {"customers": list(out.values())}
