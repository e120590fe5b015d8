"""Small SQL helpers that differ by backend (upserts), shared by every store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


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
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = module.insert(table).values(**values).on_conflict_do_nothing()
    stmt = stmt.returning(*table.primary_key.columns)
    return conn.execute(stmt).first() is not None
