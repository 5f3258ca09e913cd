import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from messaging_service import examples

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
EXAMPLE_BODY = "{% macro signature() %}{{ company.name }}{% endmacro %}Atentamente, {{ signature() }}"


class PartialCreate(BaseModel):
    """A piece that the tenant's templates include (``{% include "footer" %}``) or import
    (``{% import "macros" as m %}``) by its name."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.PARTIAL_CREATE]})

    name: str = Field(pattern=NAME_PATTERN, examples=["footer"], description="How templates name it; never changes")
    description: str | None = Field(None, max_length=2000)
    body: str = Field(max_length=100_000, examples=[EXAMPLE_BODY])


class PartialUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.PARTIAL_UPDATE]})

    description: str | None = Field(None, max_length=2000)
    body: str | None = Field(None, max_length=100_000)


class PartialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.PARTIAL_OUT]})

    id: uuid.UUID
    name: str
    description: str | None
    body: str
    revision: int
    created_at: datetime
    updated_at: datetime
