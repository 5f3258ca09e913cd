"""The FastAPI app factory every service uses: lifespan resources, problem+json, observability."""

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from arq.connections import ArqRedis
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from redis.asyncio import ConnectionPool, Redis
from starlette.types import ASGIApp

import shared.contracts  # noqa: F401  (registers every message class)
from shared.db import create_engine, create_pg_pool, create_sessionmaker
from shared.heap import settle_after_start_up
from shared.http import create_http_client
from shared.identity import ALL_ROLES, admits
from shared.logging import configure_logging
from shared.observability import install_observability
from shared.openapi_examples import restore_examples
from shared.problems import (
    PROBLEM_SCHEMA,
    DatabaseUnavailableAnswers503,
    ValidationProblem,
    document_problems,
    install_problem_handlers,
    statuses_by_construction,
)
from shared.settings import ServiceSettings
from shared.text_guard import RejectNulCharacters
from shared.worker import JOB_CODEC


def operation_id(route: APIRoute) -> str:
    """Stable operation ids for generated clients: ``<tag>:<function name>``, unique across services."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}:{route.name}"


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    tags: Sequence[dict[str, Any]] = (),
    on_startup: Callable[[FastAPI], Awaitable[None]] | None = None,
    on_shutdown: Callable[[FastAPI], Awaitable[None]] | None = None,
    middleware: Sequence[Callable[[ASGIApp], ASGIApp]] = (),
    **fastapi_options: Any,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level, settings.log_json)
        app.state.engine = create_engine(settings)
        app.state.sessionmaker = create_sessionmaker(app.state.engine)
        app.state.pg = await create_pg_pool(settings)
        # No connection is made here: a service starts while Redis is down and says so on /readyz.
        app.state.redis = Redis.from_url(settings.redis_url)
        app.state.arq = ArqRedis(ConnectionPool.from_url(settings.redis_url), **JOB_CODEC)
        app.state.http = create_http_client(settings)
        if on_startup is not None:
            await on_startup(app)
        settle_after_start_up()  # what is loaded by now lives as long as the process (shared.heap)
        try:
            yield
        finally:
            if on_shutdown is not None:
                await on_shutdown(app)
            await app.state.http.aclose()
            await app.state.arq.aclose()
            await app.state.redis.aclose()
            await app.state.pg.close()
            await app.state.engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=list(tags),
        generate_unique_id_function=operation_id,
        dependencies=[Depends(reject_unknown_query)],
        **fastapi_options,
    )
    app.state.settings = settings
    install_problem_handlers(app)
    app.add_middleware(RejectNulCharacters)
    for extra in middleware:  # inside the observability middleware: they see the request id
        app.add_middleware(extra)
    app.add_middleware(DatabaseUnavailableAnswers503)  # around them: a failed connection anywhere is a 503
    install_observability(app, settings.service_name)
    for router in routers:
        app.include_router(router)
    _document_problems(app)
    return app


def declared_query(route: APIRoute) -> frozenset[str]:
    """The query parameters a route declares, however deep in its dependencies (kept on the route: computed once)."""
    declared = getattr(route, "declared_query", None)
    if declared is None:
        names, dependants = set(), [route.dependant]
        while dependants:
            dependant = dependants.pop()
            dependants.extend(dependant.dependencies)
            for field in dependant.query_params:
                model = field.field_info.annotation
                if isinstance(model, type) and issubclass(model, BaseModel):  # a model of query parameters
                    names |= {f.alias or name for name, f in model.model_fields.items()}
                else:
                    names.add(field.alias)
        declared = route.declared_query = frozenset(names)  # type: ignore[attr-defined]
    return declared


async def reject_unknown_query(request: Request) -> None:
    """A query parameter the operation does not take is a 422 naming it, not silently ignored (``?search=`` on a
    list that searches with ``q`` would otherwise answer everyone). Routes outside the documented contract (provider
    callbacks, health, internal calls) are left alone."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema or not request.scope["query_string"]:
        return
    declared = declared_query(route)
    unknown = sorted({name for name in request.query_params if name not in declared})
    if unknown:
        takes = ", ".join(f"`{name}`" for name in sorted(declared)) or "none"
        message = f"is not a parameter of this operation (it takes: {takes})"
        errors = [
            {"field": name, "loc": ["query", name], "message": message, "code": "unknown_parameter"} for name in unknown
        ]
        raise ValidationProblem(errors)


def _dependency_statuses(dependant: Dependant) -> set[int]:
    """The statuses the route's dependencies declare (``shared.problems.answers``), however deep."""
    statuses = set(getattr(dependant.call, "problem_statuses", ()))
    for sub in dependant.dependencies:
        statuses |= _dependency_statuses(sub)
    return statuses


def _access_note(dependant: Dependant) -> str | None:
    """What a dependency says about who may call, when roles do not say it (``access``: the operator's token)."""
    note = getattr(dependant.call, "access", None)
    for sub in dependant.dependencies:
        note = note or _access_note(sub)
    return note


def _permission(dependant: Dependant) -> Any:
    """The matrix permission a route's role check carries (``shared.permissions``), if any."""
    found = getattr(dependant.call, "permission", None)
    for sub in dependant.dependencies:
        found = found or _permission(sub)
    return found


def document_roles(operation: dict[str, Any], dependant: Dependant) -> None:
    """``x-roles`` and a "Roles: ..." sentence, read from the role checks the route depends on (``admits``): the
    document says what is enforced. Only the roles a public credential can hold are named (not ``service``).
    ``x-permission`` names the matrix's entry (``customers:write``): a frontend can hide what a role may not do."""
    permission = _permission(dependant)
    if permission is not None:
        operation["x-permission"] = f"{permission.resource}:{permission.action}"
    admitted = admits(dependant)
    roles = [role for role in ALL_ROLES if admitted is not None and role in admitted]
    note = _access_note(dependant)
    if note is not None:
        sentence = f"Roles: {note}."
    elif admitted is None:
        sentence = "Roles: none needed (no credentials)."
    else:
        sentence = f"Roles: {', '.join(roles) or 'none (services only)'}."
    operation["x-roles"] = roles
    description = operation.get("description")
    operation["description"] = f"{description}\n\n{sentence}" if description else sentence


def _document_problems(app: FastAPI) -> None:
    """Every operation documents the problems it can answer by construction (``statuses_by_construction``, and
    its dependencies' ``answers``), all as problem+json, and the ``Problem`` schema they reference."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        dependants = {
            (route.path_format, method.lower()): route.dependant
            for route in iter_route_contexts(app.routes)  # included routers' routes, with their prefixes
            if isinstance(route.original_route, APIRoute)
            for method in route.methods or ()
        }
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                dependant = dependants.get((path, method))
                if dependant is not None:
                    statuses = statuses_by_construction(operation) | _dependency_statuses(dependant)
                    document_problems(operation, statuses)
                    document_roles(operation, dependant)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 body, which no route answers
            removed = components.pop(name, None)
            if removed is not None and f'"#/components/schemas/{name}"' in json.dumps(schema):  # ours after all
                components[name] = removed
        components["Problem"] = PROBLEM_SCHEMA
        restore_examples(app, schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
