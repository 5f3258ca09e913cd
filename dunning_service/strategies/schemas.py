import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dunning_service import examples
from dunning_service.fees.schemas import FeeRuleIn
from dunning_service.strategies.rules import SCRIPT_MAX_LENGTH, ActionKind, StepKind
from shared.contracts.common import Channel
from shared.money import Currency
from shared.validation import CountryCode

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class StepIn(BaseModel):
    """One automatic communication of a strategy (seed 000)."""

    key: str | None = Field(
        None,
        pattern=KEY_PATTERN,
        description="Stable identity of the step: keep it when editing, and a step already sent is never sent "
        "again. Left out, the step keeps the key of the previous version's step of the same kind and days, "
        "else gets `<kind>-<days>`.",
        examples=["overdue-7"],
    )
    kind: StepKind = Field(examples=["overdue"])
    days: int | None = Field(
        None,
        ge=-3650,
        le=3650,
        description="pre_due: days before the due date; overdue, action and call: days after it; new_invoice: "
        "none (sent on the issue date).",
        examples=[7],
    )
    tone: int | None = Field(
        None, ge=1, le=3, description="1 friendly, 2 concerned, 3 firm (seed 004). Required for overdue steps."
    )
    channels: list[Channel] = Field(
        default_factory=list, max_length=3, description="In order of preference", examples=[["email", "sms"]]
    )
    action: ActionKind | None = Field(
        None,
        description="Action steps only: what the company does next. The action `call` sends an action notice, "
        "opens an action item and stops the reminders; a step of kind `call` instead gives the collector a task "
        "with a script, sends nothing and lets the reminders go on.",
    )
    script: str | None = Field(
        None,
        max_length=SCRIPT_MAX_LENGTH,
        description="Call steps only (required there): what the collector says, written with the message "
        "templates' tags (`{{ customer.name }}`, `{{ total }}`, `{% for invoice in overdue_invoices %}`...; "
        "`GET /v1/templates/tags`). A syntax error or an unknown tag is refused naming `steps[i].script`. On the "
        "step's day it is rendered for the customer into the task's description.",
        examples=["Hola {{ recipient_name }}, le llamo de {{ company.name }} por {{ total }} vencido."],
    )
    pin_tone: bool = Field(
        False,
        description="Use this step's tone as is. By default a message's tone is raised to what the age of the "
        "customer's oldest overdue invoice calls for (seed 004: friendly up to 15 days, concerned up to 45, firm "
        "after).",
    )


class SnapshotStep(BaseModel):
    """A step as a version recorded it (its id derives from the strategy and the key)."""

    key: str
    kind: StepKind
    days: int
    tone: int
    channels: list[Channel]
    action: ActionKind | None = None
    pin_tone: bool = False
    script: str | None = None


class StepOut(SnapshotStep):
    """A strategy's step as the API shows it: the step as recorded, with its id."""

    id: uuid.UUID = Field(description="Derived from the strategy and the key")


class AmountRange(BaseModel):
    # One schema for requests and answers (the answer's amounts are strings, which the request's schema accepts),
    # so the OpenAPI document has one AmountRange, not AmountRange-Input and AmountRange-Output.
    model_config = ConfigDict(json_schema_mode_override="validation")

    currency: Currency
    min: Decimal | None = Field(None, ge=0, examples=["100000"])
    max: Decimal | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> "AmountRange":
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class MatchIn(BaseModel):
    """Selection rules over customer attributes: every condition given must hold; none matches everyone."""

    vip: bool | None = None
    segments: list[str] | None = Field(None, max_length=50, examples=[["wholesale"]])
    risk_levels: list[RiskLevel] | None = Field(None, examples=[["high"]], description="The ERP's label")
    computed_risk_levels: list[RiskLevel] | None = Field(
        None, examples=[["high"]], description="The risk receivables computes from the warning signs (issue 18)"
    )
    tags_any: list[str] | None = Field(None, max_length=50, description="Has at least one of these tags")
    tags_all: list[str] | None = Field(None, max_length=50, description="Has every one of these tags")
    countries: list[CountryCode] | None = Field(None, max_length=50, examples=[["AR", "UY"]])
    amount_overdue: AmountRange | None = Field(None, description="Open amount past due in one currency")


FOR_PLANS = (
    "Follows the installments of payment plans (issue 19): each installment is reminded before and after its own "
    "due date by this strategy's steps, while the customer's other invoices keep the customer's strategy. Never "
    "chosen for a customer: no rules, not the default. At most one active per tenant; without one, installments "
    "follow the customer's strategy."
)

STRATEGY_EXAMPLE: examples.Example = {
    "name": "Standard",
    "description": "Every customer not matched by another strategy",
    "priority": 100,
    "is_default": True,
    "steps": [
        {"key": "new-invoice", "kind": "new_invoice", "channels": ["email"]},
        {"key": "pre-due-3", "kind": "pre_due", "days": 3, "channels": ["email", "whatsapp"]},
        {"key": "overdue-1", "kind": "overdue", "days": 1, "tone": 1, "channels": ["email", "sms"]},
        {"key": "overdue-15", "kind": "overdue", "days": 15, "tone": 2, "channels": ["whatsapp", "email"]},
        {
            "key": "call-20",
            "kind": "call",
            "days": 20,
            "script": "Buenos días, {{ recipient_name }}. Le llamo de {{ company.name }}: tiene {{ total }} vencido "
            "({{ triggered_numbers }}). ¿Cuándo podría pagarlo?",
        },
        {"key": "overdue-30", "kind": "overdue", "days": 30, "tone": 3, "channels": ["email", "sms"]},
        {"key": "legal-60", "kind": "action", "days": 60, "action": "legal", "channels": ["email"]},
    ],
}


class StrategyCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [STRATEGY_EXAMPLE]})

    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    priority: int = Field(100, ge=0, le=1_000_000, description="Lower is tried first; ties by name")
    is_default: bool = Field(False, description="Applies when no other strategy matches (one per tenant)")
    manual_only: bool = Field(False, description="No automatic messages at all (seed 000: VIP customers)")
    for_payment_plans: bool = Field(False, description=FOR_PLANS)
    active: bool = Field(True, description="Inactive strategies are never applied; forecast can preview them")
    match: MatchIn = Field(default_factory=MatchIn)
    steps: list[StepIn] = Field(default_factory=list, max_length=30)
    fees: list[FeeRuleIn] | None = Field(
        None,
        max_length=20,
        description="Late fees and interest (issue 19) for this strategy's customers; null: the tenant's default "
        "rules (`PATCH /v1/dunning-settings`), []: none. A fee's `at_step` names a step of this strategy.",
    )


class StrategyUpdate(BaseModel):
    """Fields left out stay as they are; ``steps`` replaces the whole list (keys keep identities)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.STRATEGY_UPDATE]})

    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    priority: int | None = Field(None, ge=0, le=1_000_000)
    is_default: bool | None = None
    manual_only: bool | None = None
    for_payment_plans: bool | None = None
    active: bool | None = None
    match: MatchIn | None = None
    steps: list[StepIn] | None = Field(None, max_length=30)
    fees: list[FeeRuleIn] | None = Field(
        None,
        max_length=20,
        description="Late fees and interest (issue 19) for this strategy's customers (left out: as they are); "
        "null: the tenant's default rules (`PATCH /v1/dunning-settings`), []: none. A fee's `at_step` names a step "
        "of this strategy.",
    )


class StrategyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.STRATEGY_OUT]})

    id: uuid.UUID
    name: str
    description: str | None
    priority: int
    is_default: bool
    manual_only: bool
    for_payment_plans: bool = Field(description=FOR_PLANS)
    active: bool
    match: MatchIn
    steps: list[StepOut]
    fees: list[FeeRuleIn] | None = Field(None, description="Null: the tenant's default fee rules apply")
    version: int
    updated_by: str | None
    created_at: datetime
    updated_at: datetime


class StrategySnapshot(BaseModel):
    """The strategy as a version recorded it (``service.snapshot``)."""

    name: str
    description: str | None = None
    priority: int
    is_default: bool
    manual_only: bool = False
    for_payment_plans: bool = False
    active: bool = True
    match: MatchIn
    steps: list[SnapshotStep]
    fees: list[FeeRuleIn] | None = None


class StrategyVersionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.STRATEGY_VERSION_OUT]})

    strategy_id: uuid.UUID
    version: int
    snapshot: StrategySnapshot = Field(description="The strategy as it was in this version")
    changed_by: str | None
    created_at: datetime
