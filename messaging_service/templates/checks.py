"""The checks a template passes before it is saved: its syntax, every tag it reads against the documented ones
(``TAGS``, attributes included: ``customer.nmae`` is refused), its filters, and what it includes (only the tenant's
partials, by the name in quotes)."""

import types
import typing
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    TemplateAssertionError,
    TemplateSyntaxError,
    meta,
    nodes,
)

from messaging_service.templates.engine import HTML, TEXT
from messaging_service.templates.tags import (
    TAGS,
    attributes,
)


@dataclass(frozen=True, slots=True)
class ListOf:
    item: Any


def normalize_type(kind: Any) -> Any:
    if isinstance(kind, list):
        return ListOf(kind[0])
    origin = typing.get_origin(kind)
    if origin in (list, tuple):
        return ListOf(typing.get_args(kind)[0])
    if origin in (typing.Union, types.UnionType):
        return next((normalize_type(a) for a in typing.get_args(kind) if a is not type(None)), Any)
    return kind


def references(source: str) -> list[str | None]:
    """The partials a template includes, imports or extends, in order; ``None`` for a name that is not a literal.
    Empty when the template does not parse (``check`` says why)."""
    try:
        return list(meta.find_referenced_templates(TEXT.parse(source)))
    except TemplateSyntaxError:
        return []


def check(source: str, *, html: bool = False, partials: Collection[str] = (), partial: bool = False) -> list[str]:
    """What is wrong with a template: syntax, unknown tags or attributes, unknown filters, an include of anything
    but one of the tenant's ``partials`` by its name in quotes. Empty when fine.

    A ``partial`` may read names its includer defines (a loop's ``invoice``, a ``set``): only the attributes of
    documented tags are checked there, an unknown name fails when a template using the partial is rendered."""
    env = HTML if html else TEXT
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return [f"syntax error at line {exc.lineno}: {exc.message}"]
    try:  # compiling finds unknown filters and tests
        undeclared = meta.find_undeclared_variables(tree)
    except TemplateAssertionError as exc:
        return [f"line {exc.lineno}: {exc.message}"]
    problems = [] if partial else [f"unknown tag '{name}'" for name in sorted(undeclared) if name not in TAGS]
    for name in meta.find_referenced_templates(tree):
        if name is None:
            problems.append("template limit 'include': include, import and extends take a partial's name in quotes")
        elif name not in partials:
            problems.append(f"template limit 'include': '{name}' is not one of the tenant's partials")
    _Walker(problems).walk(tree, {})
    return list(dict.fromkeys(problems))


class _Walker:
    """Checks the attributes read on documented tags (``customer.name`` yes, ``customer.nmae`` no),
    following loop variables (``{% for invoice in invoices %}{{ invoice.number }}``)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def walk(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, nodes.For):
            self.walk(node.iter, scope)
            inner = dict(scope, loop=Any)
            item = self.type_of(node.iter, scope)
            self._bind(node.target, item.item if isinstance(item, ListOf) else Any, inner)
            for child in [*node.body, *([node.test] if node.test else [])]:
                self.walk(child, inner)
            for child in node.else_:
                self.walk(child, scope)
            return
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            inner = dict(scope, caller=Any, varargs=Any, kwargs=Any)
            for arg in getattr(node, "args", []):
                self._bind(arg, Any, inner)
            for child in node.iter_child_nodes():
                self.walk(child, inner)
            return
        if isinstance(node, nodes.Assign | nodes.AssignBlock):
            for child in node.iter_child_nodes(exclude=("target",)):
                self.walk(child, scope)
            self._bind(node.target, Any, scope)
            return
        if isinstance(node, nodes.With):
            inner = dict(scope)
            for value in node.values:
                self.walk(value, scope)
            for target in node.targets:
                self._bind(target, Any, inner)
            for child in node.body:
                self.walk(child, inner)
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            self.type_of(node, scope)
            return
        for child in node.iter_child_nodes():
            self.walk(child, scope)

    def _bind(self, target: nodes.Node, kind: Any, scope: dict[str, Any]) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = kind
        else:
            for name in target.find_all(nodes.Name):
                scope[name.name] = Any

    def type_of(self, node: nodes.Node, scope: dict[str, Any]) -> Any:
        if isinstance(node, nodes.Name):
            if node.name in scope:
                return normalize_type(scope[node.name])
            return normalize_type(TAGS[node.name][0]) if node.name in TAGS else Any
        if isinstance(node, nodes.Getattr):
            base = self.type_of(node.node, scope)
            known = attributes(base) if isinstance(base, type) else None
            if known is None:
                return Any
            if node.attr not in known:
                self.problems.append(f"unknown tag '{_dotted(node)}'")
                return Any
            return normalize_type(known[node.attr])
        if isinstance(node, nodes.Getitem):
            base = self.type_of(node.node, scope)
            self.walk(node.arg, scope)
            return base.item if isinstance(base, ListOf) else Any
        for child in node.iter_child_nodes():
            self.walk(child, scope)
        return Any


def _dotted(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    return "..."
