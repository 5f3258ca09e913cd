import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from api_gateway import examples
from shared.validation import EmailAddress


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SUPERVISOR = "supervisor"
    COLLECTOR = "collector"
    INTEGRATION = "integration"


class UserCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.USER_CREATE]})

    email: EmailAddress
    full_name: str = Field(min_length=1, max_length=200, examples=["Carla Cobradora"])
    password: str = Field(min_length=10, max_length=200)
    roles: list[Role] = Field(min_length=1, examples=[["collector"]])


class UserUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.USER_UPDATE]})

    full_name: str | None = Field(None, min_length=1, max_length=200)
    roles: list[Role] | None = Field(None, min_length=1)
    active: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.USER_OUT]})

    id: uuid.UUID
    email: str
    full_name: str
    roles: list[str]
    active: bool
    created_at: datetime
