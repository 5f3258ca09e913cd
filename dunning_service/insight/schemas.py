import datetime as dt
import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from dunning_service import examples
from dunning_service.fees.schemas import FeeRuleIn
from dunning_service.runs.schemas import OpenInvoice, PlannedCommunicationOut
from dunning_service.strategies.rules import ActionKind, StepKind
from shared.contracts.common import Channel, ChargeKind


class StepInfo(BaseModel):
    key: str
    kind: StepKind
    days: int
    tone: int
    channels: list[Channel]
    action: ActionKind | None
    description: str
    channel: str | None = Field(
        None, description="Due step: the channel it goes out on, `task` (no channel left) or `call` (a call step)"
    )
    script: str | None = Field(None, description="A call step's script, as the tenant wrote it")
    date: dt.date | None = Field(None, description="Next step: the business day it goes out")


class LastStep(BaseModel):
    step_key: str
    as_of: date
    channel: str | None
    state: str = Field(
        description="sent, accepted (messaging holds it, not sent yet), pending (nobody answered yet) or task"
    )
    delivery_state: str | None
    dispatched_at: datetime


class InvoiceExplanation(OpenInvoice):
    days_overdue: int
    outcome: str = Field(description="due (goes out today), waiting (a later day) or excluded")
    reason: str = Field(
        description="due, no_step_yet, step_already_sent, awaiting_acceptance (its message is not sent yet), "
        "not_business_day, closed, missing_upstream, credit_note, paused_promise_to_pay, paused_payment_reported, "
        "paused_dispute, in_plan, nothing_owed, below_tolerance, open_action_item, action_taken, customer_deleted, "
        "paused_reply (the customer replied), no_strategy, manual_only"
    )
    detail: str
    due_step: StepInfo | None
    last_step: LastStep | None
    next_step: StepInfo | None
    strategy: "StrategyRef | None" = Field(
        None,
        description="The strategy this invoice follows: the customer's, or for an installment of a payment plan "
        "the payment plans' strategy when the tenant has one (issue 19)",
    )
    strategy_reason: str | None = Field(None, description="Why it follows that strategy")


class StrategyRef(BaseModel):
    id: uuid.UUID
    name: str
    version: int
    manual_only: bool
    priority: int
    is_default: bool
    for_payment_plans: bool = False


class ChannelState(BaseModel):
    channel: Channel
    address: str | None
    usable: bool
    problem: str | None = Field(description="opted out, no contact, every contact invalid")


class CustomerRef(BaseModel):
    id: uuid.UUID
    name: str
    vip: bool
    segment: str | None
    risk_level: str | None
    computed_risk_level: str | None = None
    tags: list[str]
    country: str | None
    deleted: bool


class MessageFate(BaseModel):
    """One message (or the task that replaced it) and what became of it."""

    id: uuid.UUID
    as_of: date
    channel: str | None = Field(description="null: a task for the collector")
    address: str | None
    message_id: uuid.UUID | None = Field(description="Messaging's id, once it answered")
    state: str = Field(
        description="pending (nobody answered yet), accepted (messaging holds it), sent (its steps are done), "
        "failed (bounced or failed: it fell back), task"
    )
    delivery_state: str | None = Field(
        description="What messaging last said: queued, deferred, sending, sent, delivered, read, failed, bounced"
    )
    error: str | None
    dispatched_at: datetime


class HistoryEntry(MessageFate):
    kind: str
    tone: int
    invoice_ids: list[uuid.UUID]
    step_keys: list[str]
    fallbacks: list[MessageFate] = Field(
        description="After a failure, the same communication on the next channel or contact, oldest first; "
        "a task when none was left"
    )


class ChargeInfo(BaseModel):
    """A late charge (issue 19): recorded (open, waived, invoiced) or due on the day (a run would add it)."""

    charge_id: uuid.UUID
    key: str = Field(description="fee:<invoice>:<rule>:<period>: charged once, whatever the day")
    invoice_id: uuid.UUID
    invoice_number: str
    kind: ChargeKind
    description: str
    currency: str
    amount: Decimal
    charged_on: date
    status: str = Field(description="open, waived, invoiced; due: a run on as_of would charge it")


class Explanation(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.EXPLANATION]})

    customer: CustomerRef
    as_of: date
    business_day: bool
    closed_reason: str | None
    next_business_day: date
    strategy: StrategyRef | None
    strategy_reason: str = Field(description="Why this strategy applies (the rules it matched), or why none does")
    paused: str | None = Field(
        None, description="Set while a reply of the customer pauses automatic reminders (the tenant's reply_pause_days)"
    )
    channels: list[ChannelState]
    invoices: list[InvoiceExplanation]
    planned: list[PlannedCommunicationOut] = Field(description="What a run on as_of sends this customer")
    history: list[HistoryEntry] = Field(description="The latest communications and tasks, newest first")
    fee_rules_from: str | None = Field(None, description="strategy (its own `fees`) or tenant (the defaults)")
    fee_rules: list[FeeRuleIn] = Field(default_factory=list, description="The late charges' rules that apply")
    legal_max_annual_rate: Decimal | None = Field(None, description="The tenant's, a percent a year (120: 120%)")
    charges: list[ChargeInfo] = Field(default_factory=list, description="The customer's late charges recorded")
    charges_due: list[ChargeInfo] = Field(default_factory=list, description="What a run on as_of would charge")


class ForecastStep(BaseModel):
    strategy_id: uuid.UUID
    strategy: str
    step_key: str
    kind: StepKind
    tone: int
    invoices: int


class ForecastCall(BaseModel):
    """A call step's task to come: the customer's collector calls with the step's script."""

    customer_id: uuid.UUID
    customer_name: str
    step_key: str
    invoices: int = Field(description="Invoices reaching the call step that day (one task names them all)")


class ForecastDay(BaseModel):
    date: dt.date
    business_day: bool
    closed_reason: str | None
    communications: int
    tasks: int
    calls: int = Field(0, description="Call steps' tasks that day (one per customer and call step)")
    call_tasks: list[ForecastCall] = Field(
        default_factory=list, description="Those tasks, by customer name (the first 200 of the day)"
    )
    invoices: int
    by_channel: dict[str, int]
    by_step: list[ForecastStep]


class ForecastTotals(BaseModel):
    communications: int
    tasks: int
    calls: int = 0
    invoices: int


class Forecast(BaseModel):
    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [examples.FORECAST]})

    from_: date = Field(alias="from")
    to: date
    preview_strategy_id: uuid.UUID | None = None
    assumptions: str
    days: list[ForecastDay]
    totals: ForecastTotals
