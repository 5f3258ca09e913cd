"""Links to the customer's own page as the API shows them (never a token: only the URL made at creation holds
one)."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.portal import examples
from services.portal.links.rules import LinkState


class LinkCreate(BaseModel):
    """A link for one customer, made by a collector to send by hand (messages bring their own)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"customer_id": examples.CUSTOMER_ID, "language": "es"}]}
    )

    customer_id: uuid.UUID | None = Field(None, description="The customer (or `customer_external_id`)")
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )
    language: str | None = Field(None, pattern="^(es|en|pt)$", description="Default: the customer's language")


class LinkOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.LINK_OUT]})

    id: uuid.UUID
    customer_id: uuid.UUID
    message_id: uuid.UUID | None = Field(description="The message that carried it (none: made by hand)")
    channel: str | None
    language: str | None
    issued_by: str = Field(description="service:messaging, or the user or key that made it")
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    state: LinkState
    opens: int = Field(description="How many times the page was opened with it")
    last_opened_at: datetime | None


class LinkCreated(LinkOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.LINK_CREATED]})

    url: str = Field(description="The link itself, shown this once: it opens the customer's page")


class LinksRevoked(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"revoked": 3}]})

    revoked: int = Field(description="How many links stopped opening the page")


class CustomerLinksRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"customer_id": examples.CUSTOMER_ID}]})

    customer_id: uuid.UUID | None = Field(None, description="The customer (or `customer_external_id`)")
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )
