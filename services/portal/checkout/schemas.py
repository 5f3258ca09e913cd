"""The wire shapes of Mercado Pago's Checkout Pro (shared PROVIDERS.md) as we send and read them.

Not part of our API: only the provider reads and writes them. Amounts are ``Decimal`` here and JSON numbers on
the wire (Mercado Pago takes and gives numbers).
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, PlainSerializer

from services.portal.checkout.rules import PaymentOutcome, payment_outcome

Amount = Annotated[Decimal, Field(gt=0, decimal_places=2), PlainSerializer(float, return_type=float, when_used="json")]


class PreferenceItem(BaseModel):
    """One line of the checkout: for us, one invoice (or its part) the debtor chose to pay."""

    title: str = Field(min_length=1, max_length=256)
    quantity: int = Field(default=1, ge=1)
    unit_price: Amount
    currency_id: str = Field(min_length=3, max_length=3)


class Payer(BaseModel):
    email: str = Field(min_length=3, max_length=256, pattern=r"^[^@\s]+@[^@\s]+$")


class BackUrls(BaseModel):
    """Where the provider sends the debtor's browser back, by how the payment went."""

    success: HttpUrl
    pending: HttpUrl
    failure: HttpUrl


class PreferenceRequest(BaseModel):
    """``POST /checkout/preferences``: ``external_reference`` is our id of the payment attempt, echoed by every
    payment made through this preference."""

    items: list[PreferenceItem] = Field(min_length=1)
    payer: Payer | None = None  # the customer's email when receivables knows one (the checkout asks otherwise)
    external_reference: str = Field(min_length=1, max_length=256)
    notification_url: HttpUrl
    back_urls: BackUrls
    auto_return: Literal["approved", "all"] | None = "approved"


class Preference(BaseModel):
    """The provider's answer: where to send the debtor's browser."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    init_point: str
    sandbox_init_point: str | None = None


class Payment(BaseModel):
    """``GET /v1/payments/{id}``: the only account of a payment we trust."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    id: str
    status: str
    status_detail: str | None = None
    transaction_amount: Decimal
    currency_id: str
    external_reference: str | None = None
    date_approved: datetime | None = None

    @property
    def outcome(self) -> PaymentOutcome | None:
        """What it means for the invoices (None: a status we do not know)."""
        return payment_outcome(self.status)


class NotificationData(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)

    id: str


class PaymentNotification(BaseModel):
    """The body of the provider's POST to ``notification_url``: a hint to fetch the payment, never trusted as is."""

    model_config = ConfigDict(extra="ignore")

    action: str
    type: str
    data: NotificationData
