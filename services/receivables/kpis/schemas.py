import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples


class AgingBucketOut(BaseModel):
    bucket: str = Field(examples=["1-30"])
    amount: Decimal
    invoices: int


class AgingCurrencyOut(BaseModel):
    currency: str
    total: Decimal
    overdue: Decimal
    buckets: list[AgingBucketOut] = Field(description="current, 1-30, 31-60, 61-90, 91-120, 120+ (days overdue)")


class AgingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.AGING_OUT]})

    as_of: date
    currencies: list[AgingCurrencyOut]


class DsoCurrencyOut(BaseModel):
    currency: str
    receivables: Decimal
    dso: Decimal = Field(description="Days sales outstanding, countback method, one decimal")
    exhausted: bool = Field(description="The receivables outran all the months looked at: dso is a lower bound")


class DsoOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DSO_OUT]})

    as_of: date
    method: str = Field("countback", description="Receivables counted back against the most recent months' sales")
    months: int
    currencies: list[DsoCurrencyOut]


class CeiCurrencyOut(BaseModel):
    currency: str
    beginning: Decimal = Field(description="Receivables at the end of the day before the period")
    sales: Decimal = Field(description="Credit sales issued in the period")
    ending_total: Decimal
    ending_current: Decimal = Field(description="Ending receivables not yet due")
    cei: Decimal | None = Field(
        description="(beginning + sales - ending total) / (beginning + sales - ending current) %"
    )


class CeiOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CEI_OUT]})

    date_from: date
    date_to: date
    currencies: list[CeiCurrencyOut]


class BrokenAmountOut(BaseModel):
    currency: str
    amount: Decimal
    promises: int


class PromisesKpiOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PROMISES_KPI_OUT]})

    date_from: date
    date_to: date
    made: int = Field(description="Promises made in the period")
    kept: int = Field(description="Promises resolved as kept in the period")
    broken: int
    cancelled: int
    open_now: int
    kept_rate: Decimal | None = Field(description="kept / (kept + broken) %, of those resolved in the period")
    broken_amounts: list[BrokenAmountOut]


class ExcuseCountOut(BaseModel):
    excuse: str
    outcomes: int
    notes: int = Field(0, description="Notes (not an outcome's) that give this reason")


class HashtagCountOut(BaseModel):
    hashtag: str
    notes: int


class ExcusesOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.EXCUSES_OUT]})

    date_from: date
    date_to: date
    by_reason: list[ExcuseCountOut]
    by_hashtag: list[HashtagCountOut]


class CollectorContactsOut(BaseModel):
    user_id: uuid.UUID | None
    name: str | None
    contacts: int
    customers: int
    outcomes: dict[str, int] = Field(description="Contacts by outcome kind")


class ContactsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CONTACTS_OUT]})

    date_from: date
    date_to: date
    collectors: list[CollectorContactsOut]


class WorkloadRowOut(BaseModel):
    user_id: uuid.UUID | None
    name: str | None
    open_tasks: int
    overdue: int
    due_today: int


class WorkloadOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.WORKLOAD_OUT]})

    as_of: date
    assignees: list[WorkloadRowOut]


class KpisOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.KPIS_OUT]})

    aging: AgingOut
    dso: DsoOut
    cei: CeiOut
    promises: PromisesKpiOut
    excuses: ExcusesOut
    contacts: ContactsOut
    workload: WorkloadOut
