"""The debtor's forms as models: what each field must be (a date, an amount, one of the reasons...). A bad field
becomes the form shown again with the error beside it (``read_form``), never a half-done action."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from starlette.datastructures import FormData

from services.portal.actions.rules import DisputeReason, FieldError
from shared.validation import normalize_phone


def decimal_comma(value: Any) -> Any:
    """``85.000,50`` (how es and pt write it) is 85000.50; ``85000.50`` stays."""
    return value.replace(".", "").replace(",", ".") if isinstance(value, str) and "," in value else value


Text = Annotated[str, Field(max_length=200)]
Amount = Annotated[Decimal, BeforeValidator(decimal_comma), Field(gt=0, max_digits=16, decimal_places=2)]
DownPayment = Annotated[Decimal, BeforeValidator(decimal_comma), Field(ge=0, max_digits=16, decimal_places=2)]


class Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: Any) -> Any:
        """An empty input is a missing one (browsers send ``""``); a NUL is no text (a multipart body is not
        searched for it before the form: ``shared.text_guard``)."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain the NUL character")
        return None if value == "" else value


class ReportForm(Form):
    """Seed 004's data of a payment made by transfer or deposit: date, invoices, bank and account, amount,
    reference (the receipt travels beside it)."""

    invoice_ids: list[uuid.UUID] = []
    paid_on: date
    amount: Amount
    bank: Text
    account: Text | None = None
    reference: Annotated[str, Field(max_length=120)] | None = None


class PromiseForm(Form):
    invoice_ids: list[uuid.UUID] = []  # none: every open invoice
    promised_date: date


class DisputeForm(Form):
    invoice_id: uuid.UUID
    reason: DisputeReason
    comment: Annotated[str, Field(min_length=3, max_length=2000)]


class CallForm(Form):
    call_at: datetime  # datetime-local: the debtor's local time, no zone
    phone: Annotated[str, Field(max_length=40)]
    topic: Annotated[str, Field(max_length=500)] | None = None

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str, info: ValidationInfo) -> str:
        """A number as the debtor writes it at home (``11 5555-0001``: the customer's country) -> E.164."""
        return normalize_phone(value, (info.context or {}).get("country"))


class OptOutForm(Form):
    channel: Literal["email", "sms", "whatsapp"]


class PlanForm(Form):
    installments: Annotated[int, Field(ge=1, le=60)]
    down_payment: DownPayment = Decimal(0)
    comment: Annotated[str, Field(max_length=2000)] | None = None


LISTS = ("invoice_ids",)
F = TypeVar("F", bound=Form)


def form_values(form: FormData) -> dict[str, Any]:
    """The posted fields as the page shows them again (lists for checkboxes), files left out."""
    values: dict[str, Any] = {}
    for key in form:
        if key == "csrf":
            continue
        if key in LISTS:
            values[key] = [v for v in form.getlist(key) if isinstance(v, str)]
        elif isinstance(form[key], str):
            values[key] = form[key]
    return values


def read_form(model: type[F], values: dict[str, Any], country: str | None = None) -> tuple[F | None, list[FieldError]]:
    """The form as ``model``, or the errors naming each bad field (``invoice_ids[2]`` is ``invoice_ids``)."""
    try:
        return model.model_validate(values, context={"country": country}), []
    except ValidationError as exc:
        fields: dict[str, FieldError] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            code = "error_required" if error["type"] == "missing" else "error_invalid"
            fields.setdefault(field, FieldError(field, code))
        return None, list(fields.values())
