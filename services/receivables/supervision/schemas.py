import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples


class CollectorSituation(BaseModel):
    """One collector's situation (seed 004: "Identifica la situación de cada cobrador ... revisa los cobros más
    recientes y las tareas pendientes")."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.COLLECTOR_SITUATION]})

    user_id: uuid.UUID
    name: str | None = Field(description="The user's full name (null while the gateway has not announced it)")
    customers: int = Field(description="Customers assigned now")
    worklist_size: int = Field(description="Customers on the collector's worklist today (`GET /v1/worklist`)")
    contacts: int = Field(description="Personal contacts (outcomes) the collector recorded in the period")
    customers_contacted: int = Field(description="Distinct customers among them")
    promises_obtained: int = Field(description="Promises (one per invoice) the collector obtained in the period")
    promises_kept: int = Field(description="Promises the collector obtained that were kept in the period")
    promises_broken: int = Field(description="Promises the collector obtained that were broken in the period")
    excuses: dict[str, int] = Field(description="The collector's outcomes of the period by excuse (seed 004)")
    tasks_open: int = Field(description="Open tasks assigned to the collector")
    tasks_overdue: int = Field(description="Open tasks due before today")


class SupervisionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from": "2026-03-16",
                    "to": "2026-03-16",
                    "today": "2026-03-16",
                    "collectors": [examples.COLLECTOR_SITUATION],
                }
            ]
        }
    )

    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    today: date
    collectors: list[CollectorSituation] = Field(description="By worklist size, then name")
