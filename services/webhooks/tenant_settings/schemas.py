"""The tenant's webhook settings as the API shows and changes them."""

from pydantic import BaseModel, ConfigDict, Field

from services.webhooks import examples


class WebhookSettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.SETTINGS_OUT]})

    allow_private_urls: bool = Field(description="Set by the platform operator only")
    disable_after_days: int = Field(description="An endpoint with no success for this many days is disabled")


class WebhookSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"disable_after_days": 7}]})

    disable_after_days: int = Field(ge=1, le=30)


class PrivateUrlsSetting(BaseModel):
    """What the operator sets (through the gateway's operator route)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"allow_private_urls": True}]})

    allow_private_urls: bool
