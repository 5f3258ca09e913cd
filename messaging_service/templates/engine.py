"""Rendering in a sandbox, and the checks a template passes before it is saved.

Templates are written by tenants, so they run in jinja2's immutable sandbox with ``StrictUndefined`` (a typo is
an error, never an empty string), under a budget (``templates.budget``). ``include``, ``import`` and ``extends``
find only the tenant's own partials, by the name in quotes (the render's ``partials``); anything else is
``TemplateLimit('include')``. Loading a partial is a step of the budget. The checks before saving are in
``templates.checks``.
"""

from collections.abc import Mapping
from dataclasses import fields
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import (
    BaseLoader,
    StrictUndefined,
    nodes,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from messaging_service.templates.budget import (
    Budget,
    Instrument,
    TemplateLimit,
    abandoned,
    budget_var,
    built,
    check_arguments,
    check_format,
    current_budget,
    emit,
    guard_filter,
    iterate,
    length,
    limits,
    partials_var,
    safe_range,
)
from messaging_service.templates.formatting import Formatter, formatter
from messaging_service.templates.tags import (
    Action,
    Collections,
    Company,
    Contact,
    Customer,
    Invoice,
    LocalDate,
    Money,
    PaymentNotification,
)
from shared.words import whatsapp_link


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
        source = (partials_var.get() or {}).get(name) if isinstance(name, str) else None
        if source is None:
            raise TemplateLimit("include", f"'{name}' is not one of the tenant's partials")
        current_budget().step()
        return compiled(source, bool(self.autoescape))

    def _generate(self, source: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(source, nodes.Template):
            source = Instrument().visit(source)
        return super()._generate(source, *args, **kwargs)

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        budget = current_budget()
        budget.step()
        numbers = all(isinstance(v, int | float) for v in (left, right))
        if operator_ == "**" and numbers and (abs(right) > 64 or abs(left) > 2**64):
            raise TemplateLimit("output_size", "a power over 64 or of a number over 2**64")
        if operator_ == "*":
            if numbers and isinstance(left, int) and isinstance(right, int):
                if left.bit_length() + right.bit_length() > 4096:
                    raise TemplateLimit("output_size", "a product of numbers over 4096 bits")
            elif isinstance(right, int) and not isinstance(right, bool):
                budget.size(length(left) * max(right, 0))
            elif isinstance(left, int) and not isinstance(left, bool):
                budget.size(length(right) * max(left, 0))
        if operator_ == "%":
            check_format(budget, left)
        result = super().call_binop(context, operator_, left, right)
        budget.charge(length(result))
        return result

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.step()
        method = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        owner = getattr(method, "__self__", None)
        if isinstance(owner, str):
            check_arguments(budget, owner, getattr(method, "__name__", ""), args, kwargs)
        if budget.depth >= budget.limits.depth:
            raise TemplateLimit("recursion_depth", f"macro calls or recursive loops nested over {budget.limits.depth}")
        budget.depth += 1
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        budget.charge(length(result))
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
        env.globals["range"] = safe_range
        env.filters.update({name: guard_filter(name, function) for name, function in env.filters.items()})
        env.filters.update(_iterate=iterate, _emit=emit, _built=built)
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
    token = budget_var.set(Budget(limits(), abandoned.get()))
    loaded = partials_var.set(partials)
    try:
        return compiled(source, html).render(context)
    except RecursionError:
        raise TemplateLimit("recursion_depth", "nested too deep") from None
    except MemoryError:
        raise TemplateLimit("output_size", "out of memory") from None
    finally:
        partials_var.reset(loaded)
        budget_var.reset(token)


def render_line(
    source: str, context: dict[str, Any], *, shipped: bool = False, partials: Mapping[str, str] | None = None
) -> str:
    """A one-line field (email subject, WhatsApp parameter): whitespace collapsed."""
    return " ".join(render(source, context, shipped=shipped, partials=partials).split())
