from fastapi import FastAPI

from services.receivables.customers.router import router as customers_router
from services.receivables.settings import ReceivablesSettings
from shared.app import create_service_app

TAGS = [{"name": "customers", "description": "Customers [clientes]: contacts per channel, collector, advisor."}]


def create_app(settings: ReceivablesSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or ReceivablesSettings(),
        title="cobranza receivables",
        description="The system of record: customers, invoices, payments, contact outcomes, notes, tasks.",
        routers=[customers_router],
        tags=TAGS,
    )
