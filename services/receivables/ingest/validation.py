"""Per-row validation of a bulk request: every row is checked on its own, the bad ones are reported by index,
field and reason, the good ones go on. One pydantic pass over the whole list when all rows are good."""

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from services.receivables.ingest.schemas import RejectedRow, RowError
from shared.problems import ValidationProblem, field_path

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T", bound=tuple[Any, ...])
_adapters: dict[type, TypeAdapter[Any]] = {}


def _adapter(model: type[R]) -> TypeAdapter[list[R]]:
    if model not in _adapters:
        _adapters[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    return _adapters[model]


def parse_items(body: bytes, max_rows: int) -> list[Any]:
    """The ``items`` list of a JSON body (422 naming ``items`` when missing or too long)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValidationProblem.field("body", f"is not valid JSON ({exc})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise ValidationProblem.field("items", "send the rows as a list in `items`")
    items: list[Any] = payload["items"]
    if len(items) > max_rows:
        raise ValidationProblem.field("items", f"at most {max_rows} rows per request (got {len(items)})")
    return items


def _external_id(item: Any) -> str | None:
    value = item.get("external_id") if isinstance(item, dict) else None
    return str(value) if value is not None else None


def validate_rows(
    items: Sequence[Any], model: type[R], message: Callable[[ErrorDetails], str] | None = None
) -> tuple[list[tuple[int, R]], list[RejectedRow]]:
    """(index, row) of the valid rows and the rejected ones, each with every problem pydantic found in it."""
    adapter = _adapter(model)
    try:
        return list(enumerate(adapter.validate_python(items))), []
    except ValidationError as exc:
        errors: dict[int, list[RowError]] = defaultdict(list)
        for error in exc.errors():
            index = error["loc"][0]
            if not isinstance(index, int):
                continue
            field = field_path(error["loc"][1:]) if len(error["loc"]) > 1 else "row"
            errors[index].append(RowError(field=field, reason=message(error) if message else error["msg"]))
    problems = [
        RejectedRow(
            index=index,
            external_id=_external_id(items[index]),
            field=found[0].field,
            reason=found[0].reason,
            errors=found,
        )
        for index, found in sorted(errors.items())
    ]
    good = [i for i in range(len(items)) if i not in errors]
    rows = adapter.validate_python([items[i] for i in good])
    return list(zip(good, rows, strict=True)), problems


def _external_id_of(row: tuple[int, Any]) -> str:
    external_id: str = row[1].external_id
    return external_id


def drop_duplicates(rows: list[T], key: Callable[[T], str] = _external_id_of) -> tuple[list[T], list[RejectedRow]]:
    """Keep the first row of each external id in the batch; the later ones are rejected. ``rows`` are tuples whose
    first item is the row's index."""
    first: dict[str, int] = {}
    kept, rejected = [], []
    for row in rows:
        index, value = row[0], key(row)
        if value in first:
            rejected.append(
                RejectedRow(
                    index=index,
                    external_id=value,
                    field="external_id",
                    reason=f"repeats the row at index {first[value]}",
                )
            )
        else:
            first[value] = index
            kept.append(row)
    return kept, rejected
