import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api_gateway import examples
from api_gateway.users.schemas import Role


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.API_KEY_CREATE]})

    name: str = Field(min_length=1, max_length=120, examples=["ERP SAP production"])
    roles: list[Role] = Field(default_factory=lambda: [Role.INTEGRATION], min_length=1)
    rate_limit_per_minute: int | None = Field(None, ge=1, le=1_000_000)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.API_KEY_OUT]})

    id: uuid.UUID
    name: str
    prefix: str
    roles: list[str]
    rate_limit_per_minute: int
    created_by: str = Field(
        description="Who made the key (`user:<id>` or `apikey:<id>`): the key never answers with more roles than "
        "its creator may grant at the time, and stops working when its creator is deactivated or revoked"
    )
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.API_KEY_CREATED]})

    key: str = Field(description="The secret key. Shown only now: store it safely.")
