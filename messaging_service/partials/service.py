"""The tenant's template partials: checked before they are saved, never left half-used.

Saving a partial checks it like a template (syntax, filters, attributes of documented tags, includes of the
tenant's partials only), refuses a chain of includes that comes back to it or nests deeper than the engine's
limit, and renders with sample data every template that uses it, directly or through other partials, with the new
body (a change that would break one is a 422 naming it). A partial in use cannot be deleted (409 naming its users).
"""

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery.repository import tenant_partials
from messaging_service.models import Template, TemplatePartial
from messaging_service.partials import repository, rules
from messaging_service.partials.schemas import PartialCreate, PartialUpdate
from messaging_service.templates import repository as templates_repository
from messaging_service.templates import service as templates
from messaging_service.templates.budget import limits
from messaging_service.templates.checks import check
from shared.problems import Conflict, NotFound, ValidationProblem


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, partial_id: uuid.UUID, lock: bool = False
) -> TemplatePartial:
    partial = await repository.find_partial(session, tenant_id, partial_id, lock)
    if partial is None:
        raise NotFound("Partial not found")
    return partial


async def list_partials(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: list[Any] | None
) -> list[TemplatePartial]:
    return await repository.list_partials(session, tenant_id, limit=limit, after=after)


async def create(session: AsyncSession, tenant_id: uuid.UUID, data: PartialCreate) -> TemplatePartial:
    partials = await tenant_partials(session, tenant_id)
    if data.name in partials:
        raise Conflict(f"The tenant already has a partial named '{data.name}': change that one")
    await _validate(session, tenant_id, data.name, data.body, partials)
    partial = TemplatePartial(
        id=uuid.uuid4(), tenant_id=tenant_id, name=data.name, description=data.description, body=data.body, revision=1
    )
    session.add(partial)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"The tenant already has a partial named '{data.name}': change that one") from None
    await session.refresh(partial)
    return partial


async def update(
    session: AsyncSession, tenant_id: uuid.UUID, partial_id: uuid.UUID, data: PartialUpdate
) -> TemplatePartial:
    partial = await get(session, tenant_id, partial_id, lock=True)
    changes = data.model_dump(exclude_unset=True)
    if "body" in changes:
        if changes["body"] is None:
            raise ValidationProblem.field("body", "may not be null")
        await _validate(session, tenant_id, partial.name, changes["body"], await tenant_partials(session, tenant_id))
    for name, value in changes.items():
        setattr(partial, name, value)
    partial.revision += 1
    await session.flush()
    await session.refresh(partial)
    return partial


async def delete(session: AsyncSession, tenant_id: uuid.UUID, partial_id: uuid.UUID) -> None:
    partial = await get(session, tenant_id, partial_id, lock=True)
    includes = rules.graph(await tenant_partials(session, tenant_id))
    partial_users = sorted(name for name, children in includes.items() if partial.name in children)
    template_users = [t.name for t in await _templates_using(session, tenant_id, {partial.name})]
    if partial_users or template_users:
        users = [*(f"partial '{n}'" for n in partial_users), *(f"template '{n}'" for n in template_users)]
        raise Conflict(f"The partial '{partial.name}' is in use: {', '.join(users)}; change those first")
    await session.delete(partial)
    await session.flush()


async def _templates_using(session: AsyncSession, tenant_id: uuid.UUID, names: set[str]) -> list[Template]:
    rows = await templates_repository.templates_by_name(session, tenant_id)
    return [t for t in rows if rules.uses_any(templates.template_values(t).values(), names)]


async def _validate(
    session: AsyncSession, tenant_id: uuid.UUID, name: str, body: str, partials: dict[str, str]
) -> None:
    problems = check(body, partials={*partials, name}, partial=True)
    if problems:
        raise ValidationProblem([{"field": "body", "message": problem} for problem in problems])
    after = {**partials, name: body}
    includes = rules.graph(after)
    loop = rules.cycle(includes, name)
    if loop:
        chain = " -> ".join(loop)
        raise ValidationProblem.field("body", f"template limit 'recursion_depth': includes itself ({chain})")
    users = rules.users_of(includes, name)
    deepest = max(rules.nesting(includes, p) for p in {name, *users})
    if deepest > limits().depth:
        raise ValidationProblem.field(
            "body", f"template limit 'recursion_depth': partials would nest {deepest} deep, over {limits().depth}"
        )
    errors: list[dict[str, str]] = []
    tenant = await templates.tenant_of(session, tenant_id)
    for template in await _templates_using(session, tenant_id, {name, *users}):
        try:
            await templates.validate(
                tenant_id,
                template.kind,
                template.channel,
                template.language,
                template.tone,
                templates.template_values(template),
                tenant,
                after,
            )
        except ValidationProblem as problem:
            errors.append({"field": "body", "message": f"breaks template '{template.name}': {problem.detail}"})
    if errors:
        raise ValidationProblem(errors)
