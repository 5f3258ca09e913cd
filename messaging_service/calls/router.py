"""Another service's check of a text it stores with the templates' tags (dunning's call scripts, issue 18): messaging
owns the tag catalogue and its checks, so nobody else keeps a copy of either."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from messaging_service.calls.auth import ServiceCall
from messaging_service.calls.scripts import check_script

router = APIRouter(prefix="/internal/script-checks", include_in_schema=False)


class ScriptChecksIn(BaseModel):
    sources: list[str] = Field(max_length=30, description="Texts to check, in order (a strategy has 30 steps at most)")


class ScriptChecksOut(BaseModel):
    problems: list[list[str]] = Field(description="Per source, in order: what is wrong with it (empty when fine)")


@router.post("", response_model=ScriptChecksOut)
async def check_scripts(identity: ServiceCall, data: ScriptChecksIn) -> ScriptChecksOut:
    """The same checks as a text template's before it is saved; a script includes no partial."""
    return ScriptChecksOut(problems=[check_script(source) for source in data.sources])
