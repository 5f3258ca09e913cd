"""Cursor pagination: deterministic order, an opaque cursor holding the last row's sort key.

A list answers ``{"items": [...], "next_cursor": "..."}``; ``next_cursor`` is null on the last page.
Keyset pagination stays fast on the millionth row, unlike OFFSET.
"""

import base64
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar, get_args

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Row, row_as
from shared.problems import ValidationProblem

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def _page_example(schema: dict[str, Any], page: type[BaseModel]) -> None:
    """A page's example is its item's example on a page with a next one: every page type of the API has one as
    soon as its item model has."""
    (item,) = get_args(page.model_fields["items"].annotation) or (None,)
    extra = getattr(item, "model_config", {}).get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    if examples:
        schema["examples"] = [{"items": examples[:1], "next_cursor": encode_cursor(["2026-03-15", 1042])}]


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(json_schema_extra=_page_example)

    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null on the last page.")

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """``CustomerPage`` for ``Page[CustomerOut]``: a plain name in the OpenAPI document (pydantic's own,
        ``Page[CustomerOut]``, reaches it as ``Page_CustomerOut_``)."""
        name = params[0].__name__
        return f"{name.removesuffix('Out')}Page"


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values, default=str)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        raise ValidationProblem.field("cursor", "is not a cursor this API issued") from None
    if not isinstance(values, list):
        raise ValidationProblem.field("cursor", "is not a cursor this API issued")
    return values


def typed_cursor(values: list[Any], *types: Callable[[Any], Any]) -> list[Any]:
    """The cursor's values converted to the sort key's types; a tampered cursor is a 422 naming ``cursor``."""
    try:
        if len(values) != len(types):
            raise ValueError("wrong length")
        return [convert(value) for convert, value in zip(types, values, strict=True)]
    except (TypeError, ValueError):
        raise ValidationProblem.field("cursor", "is not a cursor this API issued") from None


def keyset(
    query: Any,
    key: Sequence[Any],
    types: Sequence[Callable[[Any], Any]],
    after: list[Any] | None,
    limit: int,
    *,
    newest_first: bool = False,
) -> Any:
    """``query`` ordered by the columns ``key`` (ascending, or descending with ``newest_first``), starting after
    the cursor's row, ``limit + 1`` rows: ``make_page`` tells from the extra one that a next page exists. ``types``
    convert the cursor's values to the key's (a tampered cursor is a 422 naming ``cursor``)."""
    if after:
        last = tuple_(*typed_cursor(after, *types))
        query = query.where(tuple_(*key) < last if newest_first else tuple_(*key) > last)
    return query.order_by(*([column.desc() for column in key] if newest_first else key)).limit(limit + 1)


def where_equal(query: Any, equal: Mapping[Any, Any]) -> Any:
    """``query`` narrowed to the rows whose columns hold the given values; a filter not given (``None``, or an
    empty query parameter) narrows nothing."""
    given = [column == value for column, value in equal.items() if value is not None and value != ""]
    return query.where(*given) if given else query


async def newest_first(
    session: AsyncSession,
    query: Any,
    time_column: Any,
    id_column: Any,
    after: list[Any] | None,
    limit: int,
    row_type: type[Row],
    equal: Mapping[Any, Any] | None = None,
) -> list[Row]:
    """The lists read newest first (a timestamp, then a uuid id to break ties), ``limit + 1`` rows after the
    cursor's as ``row_type``, narrowed by the ``equal`` filters given (``where_equal``)."""
    query = keyset(
        where_equal(query, equal or {}),
        (time_column, id_column),
        (datetime.fromisoformat, uuid.UUID),
        after,
        limit,
        newest_first=True,
    )
    return [row_as(row_type, row) for row in (await session.execute(query)).mappings()]


class PageParams(BaseModel):
    limit: int
    cursor: list[Any] | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=decode_cursor(cursor))


PageDep = Annotated[PageParams, Depends(page_params)]


def make_page(rows: list[Any], limit: int, key: Any, item: Any = None) -> dict[str, Any]:
    """Build a page from ``limit + 1`` fetched rows: the extra row only tells that a next page exists.

    ``key(row)`` gives the sort-key values of a row (encoded into the cursor); ``item(row)`` what to return.
    """
    has_more = len(rows) > limit
    rows = rows[:limit]
    items = [item(r) for r in rows] if item else rows
    next_cursor = encode_cursor(list(key(rows[-1]))) if has_more and rows else None
    return {"items": items, "next_cursor": next_cursor}


def page_of(
    items: Sequence[T],
    params: PageParams,
    key: Callable[[T], list[Any]],
    types: Sequence[Callable[[Any], Any]],
    item: Callable[[T], Any] | None = None,
) -> dict[str, Any]:
    """A page of a short list computed in memory (the shipped templates, the template tags, a digest preview), in
    ``key`` order after the cursor's item: the same contract as a list read with ``keyset``."""
    ordered = sorted(items, key=key)
    if params.cursor:
        after = typed_cursor(params.cursor, *types)
        ordered = [entry for entry in ordered if key(entry) > after]
    return make_page(ordered[: params.limit + 1], params.limit, key=key, item=item)
