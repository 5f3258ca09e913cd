"""``where_equal``: the optional equality filters of the newest-first lists (``shared.pagination.newest_first``)."""

from sqlalchemy import Boolean, Column, MetaData, String, Table, select

from shared.pagination import where_equal

_runs = Table("runs", MetaData(), Column("status", String), Column("dry_run", Boolean))


def _where(equal: dict) -> str:
    return str(where_equal(select(_runs), equal).whereclause)


def test_a_filter_not_given_narrows_nothing():
    assert where_equal(select(_runs), {_runs.c.status: None, _runs.c.dry_run: None}).whereclause is None
    assert where_equal(select(_runs), {_runs.c.status: ""}).whereclause is None  # an empty query parameter


def test_false_is_a_filter_given():
    where = _where({_runs.c.status: "done", _runs.c.dry_run: False})
    assert where == "runs.status = :status_1 AND runs.dry_run = false"
