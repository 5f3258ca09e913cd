from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from services.receivables.charges.router import router as charges_router
from services.receivables.customers.router import router as customers_router
from services.receivables.experiment_facts.router import router as experiment_facts_router
from services.receivables.external_ids.router import router as external_ids_router
from services.receivables.ingest.router import INGEST_MODELS
from services.receivables.ingest.router import router as ingest_router
from services.receivables.invoices.router import router as invoices_router
from services.receivables.kpis.router import router as kpis_router
from services.receivables.notes.router import router as notes_router
from services.receivables.outcomes.router import router as outcomes_router
from services.receivables.payments.router import router as payments_router
from services.receivables.people.router import areas_router
from services.receivables.people.router import router as people_router
from services.receivables.plans.router import router as plans_router
from services.receivables.promises.router import router as promises_router
from services.receivables.settings import ReceivablesSettings
from services.receivables.signs.router import router as signs_router
from services.receivables.statements.router import router as statements_router
from services.receivables.supervision.router import router as supervision_router
from services.receivables.tasks.router import router as tasks_router
from services.receivables.tenant_settings.router import router as settings_router
from services.receivables.test_clock.router import router as test_clock_router
from services.receivables.timeline.router import router as timeline_router
from services.receivables.worklist.router import router as worklist_router
from shared.app import create_service_app

TAGS = [
    {"name": "customers", "description": "Customers [clientes]: contacts per channel, collector, advisor."},
    {"name": "timeline", "description": "The customer's log [bitácora]: everything that happened, in order."},
    {"name": "statements", "description": "Account statements: JSON and a printable HTML page."},
    {"name": "invoices", "description": "Invoices, installments, promissory notes, credit notes; the status machine."},
    {"name": "payments", "description": "Payments, their allocation to invoices, credit, reversals."},
    {"name": "outcomes", "description": "Results of personal contacts (seed 000's five) and all they do."},
    {"name": "promises", "description": "Promises to pay: kept, broken (daily detection), cancelled."},
    {"name": "charges", "description": "Late charges (fees, interest): recorded from dunning, waived, invoiced."},
    {"name": "notes", "description": "Notes with #hashtags (seed 004)."},
    {"name": "tasks", "description": "Tasks: what to do, for whom, by when; my tasks; overdue tasks."},
    {"name": "people", "description": "Collectors, business advisors and their supervisors (seed 002)."},
    {"name": "dispute-areas", "description": "Areas that resolve disputes and who is responsible for each."},
    {"name": "kpis", "description": "Aging, DSO (countback), CEI, promises, excuses, contacts, workload."},
    {"name": "ingest", "description": "Bulk upserts from the ERP (10,000 rows a request) and the customer file."},
    {"name": "receivables-settings", "description": "The tenant's collections settings."},
]


def create_app(settings: ReceivablesSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or ReceivablesSettings(),
        title="cobranza receivables",
        description="The system of record: customers, invoices, payments, contact outcomes, notes, tasks.",
        routers=[
            customers_router,
            signs_router,
            timeline_router,
            statements_router,
            invoices_router,
            payments_router,
            outcomes_router,
            promises_router,
            charges_router,
            plans_router,
            notes_router,
            tasks_router,
            people_router,
            areas_router,
            kpis_router,
            worklist_router,
            supervision_router,
            ingest_router,
            settings_router,
            external_ids_router,
            experiment_facts_router,
            test_clock_router,
        ],
        tags=TAGS,
    )
    _document_raw_bodies(app)
    return app


def _document_raw_bodies(app: FastAPI) -> None:
    """The bulk routes read their body themselves (per-row validation); their schemas still go in the spec."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        _, definitions = models_json_schema(
            [(m, "validation") for m in INGEST_MODELS], ref_template="#/components/schemas/{model}"
        )
        schema.setdefault("components", {}).setdefault("schemas", {}).update(definitions.get("$defs", {}))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
