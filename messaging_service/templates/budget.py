"""The budget a tenant's template renders under (``Limits``): loop iterations and calls, characters produced (what
is output and the strings built on the way: ``~``, ``+``, ``*``, filters and string methods), and the nesting of
macro calls and recursive loops. Sizes are checked before an operation that could allocate a lot (``'x' * 50000000``,
``'x'|center(10**9)``, ``'%999999999d' % 1``, ``9 ** 9 ** 9``), so no render holds more than a few times the output
limit. The compiled code is instrumented (``Instrument``: every loop's iterable and every output go through a
counting filter), so the budget holds whatever the template does.
"""

import functools
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    TemplateError,
    nodes,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.visitor import NodeTransformer
from markupsafe import escape


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
budget_var: ContextVar[Budget | None] = ContextVar("template_budget", default=None)
# The tenant's partials (name -> source) for the render in progress: what ``include`` / ``import`` may load.
partials_var: ContextVar[Mapping[str, str] | None] = ContextVar("template_partials", default=None)
# Set by whoever waits for a render in another thread, when it stops waiting: the render stops at its next step.
abandoned: ContextVar[threading.Event | None] = ContextVar("template_abandoned", default=None)


def configure(limits: Limits) -> None:
    _LIMITS[:] = [limits]


def limits() -> Limits:
    """The limits in force: the settings' (``MESSAGING_TEMPLATE_*``), read once, unless ``configure`` set others."""
    if not _LIMITS:
        from messaging_service.settings import MessagingSettings

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


def current_budget() -> Budget:
    budget = budget_var.get()
    if budget is None:  # rendered outside ``render`` (a test, a shell): a fresh budget for this thread of work
        budget = Budget(limits(), abandoned.get())
        budget_var.set(budget)
    return budget


def length(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else 0


@pass_context
def iterate(context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    budget = current_budget()
    for item in iterable:
        budget.step()
        yield item


@pass_context
def emit(context: Context, value: Any, literal: int = 0) -> Any:
    """Every output (the hot path of a render: kept short)."""
    if not isinstance(value, str):
        value = escape(value) if hasattr(value, "__html__") else str(value)
    budget = budget_var.get() or current_budget()
    count = len(value) + literal
    budget.output -= count
    budget.produced -= count
    if budget.output < 0 or budget.produced < 0:
        budget.emit(0)
    return value


@pass_context
def built(context: Context, value: Any) -> Any:
    current_budget().charge(length(value))
    return value


def safe_range(*args: int) -> range:
    """``range`` larger than the iteration budget is refused at once."""
    numbers = range(*args)
    if len(numbers) > limits().iterations:
        raise TemplateLimit("iterations", f"a range of more than {limits().iterations} numbers")
    return numbers


_WIDE_FORMAT = re.compile(r"[%{][^%{}]*?(\*|\d{5,})")


def check_format(budget: Budget, template: Any) -> None:
    if isinstance(template, str) and _WIDE_FORMAT.search(template):
        raise TemplateLimit("output_size", "a format width or precision over 9999")


def check_arguments(budget: Budget, value: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
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
            longest += sum(length(a) for a in args[0]) // max(grows, 1)
        budget.size(len(value) + grows * longest)
    if name in ("format", "format_map", "__mod__"):
        check_format(budget, value)


def guard_filter(name: str, function: Any) -> Any:
    skip = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        if len(args) > skip:
            check_arguments(budget, args[skip], name, args[skip + 1 :], kwargs)
        result = function(*args, **kwargs)
        budget.charge(length(result))
        return result

    return guarded


class Instrument(NodeTransformer):
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
