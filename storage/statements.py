"""What the repositories need from SQLAlchemy and SQLModel that those leave dialect-specific,
untyped or long-winded: a model's table, a column that reads no NULL, the INSERT that can say ON
CONFLICT on the session's database, the number of rows an UPDATE or DELETE touched, the number
of rows that match, and long lists cut into batches (the rows whose key is one of many)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, Executable, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import SQLModel, col

T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)
# Ids in one IN (...), rows in one executemany: a list of any length makes statements of a
# bounded size (an IN list of 500 stays under SQLite's old limit of 999 bound parameters).
BATCH = 500


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model: SQLModel sets `__table__` but does not declare it."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def not_null(column: T | None) -> Mapped[T]:
    """A model column as a query that cannot read NULL from it sees it: a primary key (SQLModel
    types ids `int | None` for rows not yet inserted), or one the WHERE clause rules NULL out."""
    return cast(Mapped[T], col(column))


def upsert(session: AsyncSession, model: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `model`'s table with ON CONFLICT, in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table_of(model))
    return sqlite.insert(table_of(model))


async def execute_count(session: AsyncSession, statement: Executable) -> int:
    """Runs an UPDATE or DELETE without RETURNING; the rows it touched. The session types every
    result as `Result`, though such a statement yields a `CursorResult` (the cast SQLAlchemy's
    2.0.44 changelog recommends)."""
    result = cast(CursorResult[Any], await session.execute(statement))
    return int(result.rowcount or 0)


async def count_rows(
    session: AsyncSession, model: type[SQLModel], *where: ColumnElement[bool]
) -> int:
    """How many rows of `model`'s table match all of `where`."""
    query = select(func.count()).select_from(table_of(model)).where(*where)
    return int((await session.execute(query)).scalar_one())


def batches(items: list[T]) -> Iterator[list[T]]:
    """`items` in order, BATCH at a time (the last batch shorter)."""
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


async def rows_where_in(
    session: AsyncSession, model: type[M], column: T | None, values: Iterable[T]
) -> list[M]:
    """The rows of `model` whose `column` is one of `values`, asked a batch at a time."""
    found: list[M] = []
    for batch in batches(list(values)):
        found += (await session.execute(select(model).where(col(column).in_(batch)))).scalars()
    return found
