"""Rendering in a sandbox, and the checks a template passes before it is saved.

Templates are written by tenants, so they run in jinja2's immutable sandbox with ``StrictUndefined`` (a typo is
an error, never an empty string). A saved template is checked: its syntax, every tag it reads against the
documented ones (``TAGS``, attributes included: ``customer.nmae`` is refused), its filters.

A render runs under a budget (``Limits``): loop iterations and calls, characters produced (what is output and the
strings built on the way: ``~``, ``+``, ``*``, filters and string methods), and the nesting of macro calls and
recursive loops. Sizes are checked before an operation that could allocate a lot (``'x' * 50000000``,
``'x'|center(10**9)``, ``'%999999999d' % 1``, ``9 ** 9 ** 9``), so no render holds more than a few times the output
limit. ``include``, ``import`` and ``extends`` find only the tenant's own partials, by the name in quotes (the
render's ``partials``); anything else is ``TemplateLimit('include')``. Loading a partial is a step of the budget.
The compiled code is instrumented (every loop's iterable and every output go through a counting filter), so the
budget holds whatever the template does.
"""

import functools
import re
import threading
import types
import typing
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import (
    BaseLoader,
    StrictUndefined,
    TemplateAssertionError,
    TemplateError,
    TemplateSyntaxError,
    meta,
    nodes,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markupsafe import escape

from services.messaging.templates.context import (
    TAGS,
    Action,
    Collections,
    Company,
    Contact,
    Customer,
    Formatter,
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


def _formatter(context: Context) -> Formatter:
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
    if isinstance(value, LocalDate):
        return value.long if style == "long" else value.text
    item = _formatter(context).date(value)
    return item.long if style == "long" else item.text


@pass_context
def _plural(context: Context, value: Any, one: str, other: str) -> str:
    """``{{ n | plural('factura', 'facturas') }}``: the form that agrees with ``n`` (babel's plural rules)."""
    return _formatter(context).words.plural(int(value or 0), (one, other))


@pass_context
def _counted(context: Context, value: Any, one: str, other: str) -> str:
    """``{{ n | counted('factura vencida', 'facturas vencidas') }}``: ``3 facturas vencidas``."""
    return _formatter(context).words.count(int(value or 0), (one, other))


def _sentence(value: Any) -> str:
    """``{{ company.name | sentence }}``: a period to end the sentence, unless the text ends in one already
    (``Lácteos del Plata S.A.``, never ``S.A..``)."""
    text = str(value or "").rstrip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


# The context's own value objects: frozen dataclasses whose fields are plain data. Reading a field of one needs
# none of the sandbox's checks (which cost more than the rest of a render); everything else goes through them.
TRUSTED_FIELDS = {
    kind: frozenset(f.name for f in fields(kind))
    for kind in (Money, LocalDate, Company, Customer, Contact, Collections, PaymentNotification, Invoice, Action)
}


@dataclass(frozen=True, slots=True)
class Limits:
    iterations: int = 100_000
    output_chars: int = 1_000_000
    depth: int = 10
    # Saves and previews (``renders.py``): wall-clock time per render, renders of one tenant at once.
    seconds: float = 2.0
    per_tenant: int = 2
    threads: int = 8


class TemplateLimit(TemplateError):
    """A render went past a limit: ``limit`` names it (iterations, output_size, recursion_depth, include, ...)."""

    def __init__(self, limit: str, detail: str) -> None:
        super().__init__(f"template limit '{limit}': {detail}")
        self.limit = limit


class Budget:
    __slots__ = ("abandoned", "depth", "limits", "output", "produced", "steps")

    def __init__(self, limits: Limits, abandoned: threading.Event | None = None) -> None:
        self.limits = limits
        self.abandoned = abandoned
        self.steps = limits.iterations
        self.produced = limits.output_chars * 4  # intermediate strings, output included
        self.output = limits.output_chars
        self.depth = 0

    def step(self, count: int = 1) -> None:
        self.steps -= count
        if self.steps < 0:
            raise TemplateLimit("iterations", f"more than {self.limits.iterations} loop iterations or calls")
        if self.abandoned is not None and self.abandoned.is_set():
            raise TemplateLimit("render_seconds", f"rendering took more than {self.limits.seconds} s")

    def size(self, count: int) -> None:
        """Before building a string (or list) of ``count`` items."""
        if count > self.limits.output_chars:
            raise TemplateLimit("output_size", f"a value of more than {self.limits.output_chars} characters")

    def charge(self, count: int) -> None:
        self.size(count)
        self.produced -= count
        if self.produced < 0:
            raise TemplateLimit("output_size", f"more than {4 * self.limits.output_chars} characters built")

    def emit(self, count: int) -> None:
        self.charge(count)
        self.output -= count
        if self.output < 0:
            raise TemplateLimit("output_size", f"an output of more than {self.limits.output_chars} characters")


_LIMITS: list[Limits] = []
_budget: ContextVar[Budget | None] = ContextVar("template_budget", default=None)
# The tenant's partials (name -> source) for the render in progress: what ``include`` / ``import`` may load.
_partials: ContextVar[Mapping[str, str] | None] = ContextVar("template_partials", default=None)
# Set by whoever waits for a render in another thread, when it stops waiting: the render stops at its next step.
abandoned: ContextVar[threading.Event | None] = ContextVar("template_abandoned", default=None)


def configure(limits: Limits) -> None:
    _LIMITS[:] = [limits]


def limits() -> Limits:
    """The limits in force: the settings' (``MESSAGING_TEMPLATE_*``), read once, unless ``configure`` set others."""
    if not _LIMITS:
        from services.messaging.settings import MessagingSettings

        settings = MessagingSettings()
        configure(
            Limits(
                settings.template_max_iterations,
                settings.template_max_output_chars,
                settings.template_max_depth,
                settings.template_render_seconds,
                settings.template_renders_per_tenant,
                settings.template_render_threads,
            )
        )
    return _LIMITS[0]


def _current() -> Budget:
    budget = _budget.get()
    if budget is None:  # rendered outside ``render`` (a test, a shell): a fresh budget for this thread of work
        budget = Budget(limits(), abandoned.get())
        _budget.set(budget)
    return budget


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else 0


@pass_context
def _iterate(context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _current()
    for item in iterable:
        budget.step()
        yield item


@pass_context
def _emit(context: Context, value: Any, literal: int = 0) -> Any:
    """Every output (the hot path of a render: kept short)."""
    if not isinstance(value, str):
        value = escape(value) if hasattr(value, "__html__") else str(value)
    budget = _budget.get() or _current()
    count = len(value) + literal
    budget.output -= count
    budget.produced -= count
    if budget.output < 0 or budget.produced < 0:
        budget.emit(0)
    return value


@pass_context
def _built(context: Context, value: Any) -> Any:
    _current().charge(_length(value))
    return value


def _range(*args: int) -> range:
    """``range`` larger than the iteration budget is refused at once."""
    numbers = range(*args)
    if len(numbers) > limits().iterations:
        raise TemplateLimit("iterations", f"a range of more than {limits().iterations} numbers")
    return numbers


_WIDE_FORMAT = re.compile(r"[%{][^%{}]*?(\*|\d{5,})")


def _check_format(budget: Budget, template: Any) -> None:
    if isinstance(template, str) and _WIDE_FORMAT.search(template):
        raise TemplateLimit("output_size", "a format width or precision over 9999")


def _check_arguments(budget: Budget, value: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse the arguments that would build a value past the limit before it is built."""
    extra = (*args, *kwargs.values())
    for arg in extra:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > budget.limits.output_chars:
            raise TemplateLimit("output_size", f"'{name}' with a number over {budget.limits.output_chars}")
    if not isinstance(value, str):
        return
    longest = max((len(a) for a in extra if isinstance(a, str)), default=0)
    if name in ("replace", "indent", "join", "expandtabs", "center", "ljust", "rjust", "zfill"):
        grows = value.count(args[0]) if name == "replace" and args and isinstance(args[0], str) and args[0] else 0
        if name in ("indent", "expandtabs"):
            grows = value.count("\n") + value.count("\t") + 1
        if name == "join" and args and isinstance(args[0], list | tuple):
            grows = len(args[0])
            longest += sum(_length(a) for a in args[0]) // max(grows, 1)
        budget.size(len(value) + grows * longest)
    if name in ("format", "format_map", "__mod__"):
        _check_format(budget, value)


def _guard_filter(name: str, function: Any) -> Any:
    skip = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = _current()
        if len(args) > skip:
            _check_arguments(budget, args[skip], name, args[skip + 1 :], kwargs)
        result = function(*args, **kwargs)
        budget.charge(_length(result))
        return result

    return guarded


class _Instrument(NodeTransformer):
    """Every loop's iterable counts its iterations, every output and every ``~`` counts its characters."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_iterate", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, "_built", [], [], None, None, lineno=node.lineno)

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        literal = sum(len(child.data) for child in node.nodes if isinstance(child, nodes.TemplateData))
        emitted: list[nodes.Expr] = []
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                emitted.append(child)
            else:  # the first expression also counts the literal text around it
                emitted.append(nodes.Filter(child, "_emit", [nodes.Const(literal)], [], None, None))
                literal = 0
        if literal:
            emitted.append(nodes.Filter(nodes.Const(""), "_emit", [nodes.Const(literal)], [], None, None))
        node.nodes = emitted
        return node


class _NoLoader(BaseLoader):
    def get_source(self, environment: Any, template: str) -> Any:
        raise TemplateLimit("include", "the shipped templates include nothing")


class Sandbox(ImmutableSandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        known = TRUSTED_FIELDS.get(type(obj))
        if known is not None and attribute in known:
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)


class LimitedSandbox(Sandbox):
    """The sandbox of tenants' templates: every step counted against the render's budget."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

    def _load_template(self, name: Any, globals: Any) -> Any:
        """A partial of the render's tenant, compiled once per source (never a cache keyed by name alone: two
        tenants may have partials of one name)."""
        source = (_partials.get() or {}).get(name) if isinstance(name, str) else None
        if source is None:
            raise TemplateLimit("include", f"'{name}' is not one of the tenant's partials")
        _current().step()
        return compiled(source, bool(self.autoescape))

    def _generate(self, source: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(source, nodes.Template):
            source = _Instrument().visit(source)
        return super()._generate(source, *args, **kwargs)

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        budget = _current()
        budget.step()
        numbers = all(isinstance(v, int | float) for v in (left, right))
        if operator_ == "**" and numbers and (abs(right) > 64 or abs(left) > 2**64):
            raise TemplateLimit("output_size", "a power over 64 or of a number over 2**64")
        if operator_ == "*":
            if numbers and isinstance(left, int) and isinstance(right, int):
                if left.bit_length() + right.bit_length() > 4096:
                    raise TemplateLimit("output_size", "a product of numbers over 4096 bits")
            elif isinstance(right, int) and not isinstance(right, bool):
                budget.size(_length(left) * max(right, 0))
            elif isinstance(left, int) and not isinstance(left, bool):
                budget.size(_length(right) * max(left, 0))
        if operator_ == "%":
            _check_format(budget, left)
        result = super().call_binop(context, operator_, left, right)
        budget.charge(_length(result))
        return result

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _current()
        budget.step()
        method = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        owner = getattr(method, "__self__", None)
        if isinstance(owner, str):
            _check_arguments(budget, owner, getattr(method, "__name__", ""), args, kwargs)
        if budget.depth >= budget.limits.depth:
            raise TemplateLimit("recursion_depth", f"macro calls or recursive loops nested over {budget.limits.depth}")
        budget.depth += 1
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        budget.charge(_length(result))
        return result


def _environment(autoescape: bool, limited: bool = True) -> ImmutableSandboxedEnvironment:
    env = (LimitedSandbox if limited else Sandbox)(
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        loader=_NoLoader(),
    )
    env.globals.pop("lipsum", None)
    env.filters.update(
        money=_money,
        number=_number,
        date=_date,
        wa_link=whatsapp_link,
        plural=_plural,
        counted=_counted,
        sentence=_sentence,
    )
    if limited:
        env.globals["range"] = _range
        env.filters.update({name: _guard_filter(name, function) for name, function in env.filters.items()})
        env.filters.update(_iterate=_iterate, _emit=_emit, _built=_built)
    return env


HTML = _environment(autoescape=True)
TEXT = _environment(autoescape=False)
# The shipped templates are ours: sandboxed all the same, but without the counting (a third of a render's time).
SHIPPED = {True: _environment(autoescape=True, limited=False), False: _environment(autoescape=False, limited=False)}


@lru_cache(maxsize=2048)
def compiled(source: str, html: bool, shipped: bool = False) -> jinja2.Template:
    """Templates compile once per process (the cache is keyed by the source itself)."""
    if shipped:
        return SHIPPED[html].from_string(source)
    return (HTML if html else TEXT).from_string(source)


def render(
    source: str,
    context: dict[str, Any],
    *,
    html: bool = False,
    shipped: bool = False,
    partials: Mapping[str, str] | None = None,
) -> str:
    """Render under a fresh budget (``TemplateLimit`` past it), able to include the tenant's ``partials``;
    ``shipped`` templates (ours) are not counted and include nothing."""
    if shipped:
        return compiled(source, html, True).render(context)
    token = _budget.set(Budget(limits(), abandoned.get()))
    loaded = _partials.set(partials)
    try:
        return compiled(source, html).render(context)
    except RecursionError:
        raise TemplateLimit("recursion_depth", "nested too deep") from None
    except MemoryError:
        raise TemplateLimit("output_size", "out of memory") from None
    finally:
        _partials.reset(loaded)
        _budget.reset(token)


def render_line(
    source: str, context: dict[str, Any], *, shipped: bool = False, partials: Mapping[str, str] | None = None
) -> str:
    """A one-line field (email subject, WhatsApp parameter): whitespace collapsed."""
    return " ".join(render(source, context, shipped=shipped, partials=partials).split())


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
