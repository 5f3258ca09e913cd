"""Which partials include which: the rules a tenant's partials keep, as pure functions.

A partial may include or import other partials of its tenant by name, never itself through any chain (a cycle
would only end at the render's recursion limit), and no deeper than the engine's nesting limit.
"""

from collections.abc import Iterable, Mapping

from messaging_service.templates.checks import references

Graph = Mapping[str, frozenset[str]]


def graph(partials: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Each partial's name -> the names it includes, imports or extends (literal names only: ``check`` refuses
    the others)."""
    return {name: frozenset(n for n in references(source) if n) for name, source in partials.items()}


def cycle(includes: Graph, start: str) -> list[str] | None:
    """A chain of includes from ``start`` back to itself (``['a', 'b', 'a']``), or None."""
    path: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return None
        path.append(name)
        for child in sorted(includes.get(name, ())):
            found = visit(child)
            if found:
                return found
        path.pop()
        done.add(name)
        return None

    return visit(start)


def nesting(includes: Graph, start: str) -> int:
    """How many partials deep a render of ``start`` goes (1: it includes nothing). The graph has no cycle."""
    children = includes.get(start, frozenset())
    return 1 + max((nesting(includes, child) for child in children), default=0)


def users_of(includes: Graph, name: str) -> set[str]:
    """The partials that include ``name``, directly or through others."""
    found: set[str] = set()
    frontier = {name}
    while frontier:
        frontier = {p for p, children in includes.items() if children & frontier and p not in found}
        found |= frontier
    return found


def uses_any(sources: Iterable[str | None], names: set[str]) -> bool:
    """Whether a template made of ``sources`` includes one of ``names``."""
    return any(ref in names for source in sources if source for ref in references(source))
