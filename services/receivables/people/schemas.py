import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples
from shared.validation import E164Phone, EmailAddress


class PersonKind(StrEnum):
    ADVISOR = "advisor"  # business advisor [asesor de negocios], seed 002
    SUPERVISOR = "supervisor"  # the advisor's supervisor, seed 002
    STAFF = "staff"  # phone / WhatsApp of a gateway user (a collector), so messages can point to them


class PersonFields(BaseModel):
    external_id: str | None = Field(None, max_length=100, examples=["ADV-017"])
    name: str | None = Field(None, min_length=1, max_length=200, examples=["Lucía Fernández"])
    email: EmailAddress | None = None
    phone: E164Phone | None = None
    whatsapp: E164Phone | None = None
    supervisor_id: uuid.UUID | None = Field(
        None,
        description="An advisor's supervisor, or a collector's (kind staff: the collector is in the team of the "
        "supervisor's user, `GET /v1/worklist?team=mine`); a person of kind supervisor",
    )
    user_id: uuid.UUID | None = Field(
        None, description="The gateway user this person is (kind staff; or a supervisor who is a user)"
    )
    active: bool | None = None


class PersonCreate(PersonFields):
    kind: PersonKind
    name: str = Field(min_length=1, max_length=200, examples=["Lucía Fernández"])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "advisor",
                    "name": "Lucía Fernández",
                    "email": "lucia.fernandez@empresa.example",
                    "phone": "+5491144445555",
                    "whatsapp": "+5491144445555",
                    "supervisor_id": None,
                }
            ]
        }
    )


class PersonUpdate(PersonFields):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PERSON_UPDATE]})

    pass


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.PERSON_OUT]})

    id: uuid.UUID
    kind: PersonKind
    external_id: str | None
    name: str
    email: str | None
    phone: str | None
    whatsapp: str | None
    supervisor_id: uuid.UUID | None
    user_id: uuid.UUID | None
    active: bool
    created_at: datetime
    updated_at: datetime


class CollectorOut(BaseModel):
    """A collector: a gateway user with the collector role, with the phone/WhatsApp of its staff profile."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.COLLECTOR_OUT]})

    user_id: uuid.UUID
    name: str
    email: str
    phone: str | None = None
    whatsapp: str | None = None
    roles: list[str]
    active: bool
    customers: int = Field(description="Customers assigned to this collector")


class DisputeAreaCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Logística", "responsible_id": None}]})

    name: str = Field(min_length=1, max_length=120)
    responsible_id: uuid.UUID | None = Field(None, description="The person who resolves this area's disputes")


class DisputeAreaUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DISPUTE_AREA_UPDATE]})

    name: str | None = Field(None, min_length=1, max_length=120)
    responsible_id: uuid.UUID | None = None
    active: bool | None = None


class DisputeAreaOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DISPUTE_AREA_OUT]})

    id: uuid.UUID
    name: str
    responsible_id: uuid.UUID | None
    responsible: PersonOut | None = None
    active: bool
    created_at: datetime
    updated_at: datetime
