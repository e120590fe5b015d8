"""Small SQL helpers that differ by backend (upserts, row claims), shared by every store.

Statements on hot paths (every webhook, every reply) are built once per table and executed
with parameters: building a SQLAlchemy statement and its cache key costs more CPU than
sending it, and a reused statement object keeps its cache key.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Table, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement


def upsert(conn: Connection, table: Table, values: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Insert `values`, or update the non-key columns of the row with the same `keys`."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values)
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(dialect)
    updates = {k: stmt.excluded[k] for k in values if k not in keys}
    if updates:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt)


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert unless a unique key already holds the row; True when a row was inserted.

    The answer comes from RETURNING, not `rowcount`: with an auto-increment id SQLAlchemy
    adds its own RETURNING on PostgreSQL and `rowcount` then says -1."""
    return conn.execute(_insert_ignore(conn.dialect.name, table), values).first() is not None


def check_columns(table: Table, values: dict[str, Any]) -> None:
    """Refuse keys that are not columns of `table` before they reach a statement built once:
    there, SQLAlchemy takes the SET columns from the parameters and would ignore a misspelt
    key (or, alone, produce an empty SET clause)."""
    unknown = sorted(set(values) - _column_names(table))
    if not values or unknown:
        raise ValueError(f"not columns of {table.name}: {unknown or 'no values'}")


@cache
def _column_names(table: Table) -> frozenset[str]:
    return frozenset(table.c.keys())


@cache
def _insert_ignore(dialect: str, table: Table):
    """INSERT … ON CONFLICT DO NOTHING RETURNING pk; the columns come from the parameters."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


def claim_rows_locked(
    conn: Connection,
    table: Table,
    condition: ColumnElement[bool],
    order_by: Sequence[ColumnElement],
    limit: int,
    values: dict[str, Any],
) -> list[Row]:
    """Set `values` on up to `limit` rows matching `condition` (first in `order_by`), claiming
    them against concurrent claimers; return the rows as updated (in no particular order).

    PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` picks rows no other transaction holds, then
    an UPDATE by id stamps them, so any number of processes claim side by side and never get
    the same row. SQLite: one `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`, atomic
    because SQLite serialises writers (and a lone write statement waits on the busy timeout
    instead of failing the way a read-then-write transaction does)."""
    pick = select(table.c.id).where(condition).order_by(*order_by).limit(limit)
    if conn.dialect.name == "postgresql":
        # A queue's statistics are always stale (its pending share swings from none to all),
        # and on estimates of "1 row" the planner nests loops that turn quadratic under a
        # backlog (180 ms instead of 3 ms at 800 pending rows); hash joins stay linear.
        conn.execute(text("SET LOCAL enable_nestloop = off"))
        ids = list(conn.execute(pick.with_for_update(skip_locked=True)).scalars())
        if not ids:
            return []
        where = table.c.id.in_(ids)
    else:
        where = table.c.id.in_(pick.scalar_subquery())
    return list(conn.execute(update(table).where(where).values(**values).returning(*table.c)))


class StatementBatch:
    """Writes gathered for one transaction and sent as one `executemany` per statement and
    set of parameter names: a batch of N rows costs a few round trips instead of N (psycopg
    pipelines an executemany; SQLite runs it in one call)."""

    def __init__(self) -> None:
        self._groups: dict[tuple, tuple[Any, list[dict[str, Any]]]] = {}

    def add(self, stmt, params: dict[str, Any]) -> None:
        """Queue `stmt` (built once, its SET or VALUES columns taken from `params`)."""
        key = (id(stmt), tuple(sorted(params)))
        self._groups.setdefault(key, (stmt, []))[1].append(params)

    def run(self, conn: Connection) -> int:
        """Execute everything queued, in the order the groups were first used; the rows the
        statements changed, added up."""
        changed = 0
        for stmt, rows in self._groups.values():
            changed += conn.execute(stmt, rows).rowcount
        self._groups.clear()
        return changed


def insert_ignore_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """`insert_ignore` for many rows of the same columns in one statement; how many were
    inserted (counted from RETURNING, as there)."""
    if not rows:
        return 0
    return len(conn.execute(_insert_ignore(conn.dialect.name, table), rows).all())
