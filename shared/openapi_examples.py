"""The examples of the OpenAPI document as the models give them, nulls included.

FastAPI encodes the document with ``exclude_none``, which also drops every null inside an example: an invoice's
``"closed_on": null`` disappears, and the example no longer validates against its own schema (the field is
required, and nullable). ``restore_examples`` puts back each schema's examples from its model.
"""

from collections.abc import Iterator
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel


def _models(annotation: Any, seen: set[type[BaseModel]]) -> Iterator[type[BaseModel]]:
    """The models an annotation names, and those their fields name, each once."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation, seen)
        return
    for argument in get_args(annotation):
        yield from _models(argument, seen)


def model_examples(app: FastAPI) -> dict[str, list[Any]]:
    """The examples of every model a route reads or answers (nested ones too), by schema title; a title two
    models share is left out rather than guessed."""
    seen: set[type[BaseModel]] = set()
    by_title: dict[str, list[list[Any]]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        annotations = [route.response_model]
        if route.body_field is not None:
            annotations.append(route.body_field.field_info.annotation)
        for annotation in annotations:
            for model in _models(annotation, seen):
                schema = model.model_json_schema()
                by_title.setdefault(schema.get("title", model.__name__), []).append(schema.get("examples", []))
    return {title: found[0] for title, found in by_title.items() if len(found) == 1 and found[0]}


def restore_examples(app: FastAPI, document: dict[str, Any]) -> None:
    examples = model_examples(app)
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        title = schema.get("title", name)
        if "examples" in schema and title in examples:
            schema["examples"] = examples[title]
