"""Rendering in a sandbox, and the checks a template passes before it is saved.

Templates are written by tenants, so they run in jinja2's immutable sandbox with ``StrictUndefined`` (a typo is
an error, never an empty string). A saved template is checked: its syntax, every tag it reads against the
documented ones (``TAGS``, attributes included: ``customer.nmae`` is refused), its filters.
"""

import types
import typing
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateAssertionError, TemplateSyntaxError, meta, nodes, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from messaging_service.templates.context import (
    TAGS,
    Action,
    Collections,
    Company,
    Contact,
    Customer,
    Invoice,
    LocalDate,
    Money,
    PaymentNotification,
    attributes,
    formatter,
    whatsapp_link,
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


def _formatter(context: Context) -> Any:
    locale = str(context.get("locale") or context.get("language") or "es")
    return formatter(locale[:2], locale[3:5] or None)


@pass_context
def _money(context: Context, value: Any, currency: str | None = None) -> str:
    if value is None:
        return ""
    if currency is None and hasattr(value, "currency"):
        currency = value.currency
    amount = getattr(value, "amount", value)
    return _formatter(context).money(amount, currency or "USD").text


@pass_context
def _number(context: Context, value: Any) -> str:
    return _formatter(context).number(value)


@pass_context
def _date(context: Context, value: Any, style: str = "short") -> str:
    if value is None:
        return ""
    if hasattr(value, "iso"):
        return value.long if style == "long" else value.text
    item = _formatter(context).date(value)
    return item.long if style == "long" else item.text


# The context's own value objects: frozen dataclasses whose fields are plain data. Reading a field of one needs
# none of the sandbox's checks (which cost more than the rest of a render); everything else goes through them.
TRUSTED_FIELDS = {
    kind: frozenset(f.name for f in fields(kind))
    for kind in (Money, LocalDate, Company, Customer, Contact, Collections, PaymentNotification, Invoice, Action)
}


class Sandbox(ImmutableSandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        known = TRUSTED_FIELDS.get(type(obj))
        if known is not None and attribute in known:
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)


def _environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = Sandbox(
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(money=_money, number=_number, date=_date, wa_link=whatsapp_link)
    return env


HTML = _environment(autoescape=True)
TEXT = _environment(autoescape=False)


@lru_cache(maxsize=2048)
def compiled(source: str, html: bool) -> Any:
    """Templates compile once per process (the cache is keyed by the source itself)."""
    return (HTML if html else TEXT).from_string(source)


def render(source: str, context: dict[str, Any], *, html: bool = False) -> str:
    return compiled(source, html).render(context)


def render_line(source: str, context: dict[str, Any]) -> str:
    """A one-line field (email subject, WhatsApp parameter): whitespace collapsed."""
    return " ".join(render(source, context).split())


def check(source: str, *, html: bool = False) -> list[str]:
    """What is wrong with a template: syntax, unknown tags or attributes, unknown filters. Empty when fine."""
    env = HTML if html else TEXT
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return [f"syntax error at line {exc.lineno}: {exc.message}"]
    try:  # compiling finds unknown filters and tests
        undeclared = meta.find_undeclared_variables(tree)
    except TemplateAssertionError as exc:
        return [f"line {exc.lineno}: {exc.message}"]
    problems = [f"unknown tag '{name}'" for name in sorted(undeclared) if name not in TAGS]
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
