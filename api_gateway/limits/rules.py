"""How much a request may carry and how much of an API key's budget a replica reserves (pure: no I/O)."""

from collections.abc import Mapping

MAX_SLICE = 50


def body_limit(path: str, limits: Mapping[str, int], default: int) -> int:
    """The most bytes a body sent to ``path`` may have: the longest matching prefix of ``limits``, else
    ``default``."""
    prefix = max((p for p in limits if path.startswith(p)), key=len, default=None)
    return default if prefix is None else limits[prefix]


def slice_size(limit: int, seen_total: int) -> int:
    """How many requests to reserve at once: a twentieth of what is left, between 1 and MAX_SLICE."""
    return max(1, min(MAX_SLICE, (limit - seen_total) // 20))
