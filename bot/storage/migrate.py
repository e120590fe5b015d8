"""Bringing a database written by an earlier version up to this version's tables, on start.

`metadata.create_all` adds missing tables but never touches existing ones; `upgrade` does the
rest of what the versions so far needed, derived from the tables' definitions instead of a
list of hand-written steps:

- a column the definition has and the table lacks is added (new columns are nullable, so
  the rows already there stay valid);
- on PostgreSQL, a `VARCHAR(n)` column the definition now declares TEXT is widened (ids of
  any length, schema 2); a cheap change there, no table rewrite. SQLite never enforced the
  declared lengths, so its columns need nothing.

It runs on every start, inside the transaction (and advisory lock) that creates the schema,
so concurrent starts do it once; a process upgrades the tables it registered (each layer adds
its own to the metadata), so it cannot rely on the recorded version alone. One catalog query
finds every column, so a start with nothing to do costs one round trip.
"""

from __future__ import annotations

import logging

from sqlalchemy import Column, Connection, MetaData, Text, text

log = logging.getLogger(__name__)


def upgrade(conn: Connection, metadata: MetaData) -> list[str]:
    """Add missing columns and widen VARCHAR ids to TEXT; return the statements run."""
    found = _columns(conn)
    done: list[str] = []
    for table in metadata.sorted_tables:
        existing = found.get(table.name)
        if existing is None:
            continue  # created by create_all just now
        for column in table.columns:
            kind = existing.get(column.name)
            if kind is None:
                done.append(_add_column(conn, column))
            elif _needs_widening(conn, column, kind):
                done.append(_widen(conn, column))
    for statement in done:
        log.warning("schema upgrade: %s", statement)
    return done


def _columns(conn: Connection) -> dict[str, dict[str, str]]:
    """Table -> column -> declared type (lower case), for the tables in the current schema."""
    if conn.dialect.name == "postgresql":
        query = text(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)"
            " FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
            " AND a.attnum > 0 AND NOT a.attisdropped"
        )
    else:
        query = text(
            "SELECT m.name, p.name, p.type FROM sqlite_master m"
            " JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
        )
    found: dict[str, dict[str, str]] = {}
    for table, column, kind in conn.execute(query):
        found.setdefault(table, {})[column] = str(kind).lower()
    return found


def _add_column(conn: Connection, column: Column) -> str:
    if not column.nullable or column.primary_key:
        raise RuntimeError(f"cannot add required column {column.table.name}.{column.name}")
    quote = conn.dialect.identifier_preparer.quote
    kind = column.type.compile(dialect=conn.dialect)
    statement = f"ALTER TABLE {quote(column.table.name)} ADD COLUMN {quote(column.name)} {kind}"
    conn.execute(text(statement))
    return statement


def _needs_widening(conn: Connection, column: Column, found_type: str) -> bool:
    """PostgreSQL only: declared TEXT here, a length-limited VARCHAR in the database."""
    return (
        conn.dialect.name == "postgresql"
        and isinstance(column.type, Text)
        and found_type.startswith("character varying(")
    )


def _widen(conn: Connection, column: Column) -> str:
    quote = conn.dialect.identifier_preparer.quote
    statement = (
        f"ALTER TABLE {quote(column.table.name)} ALTER COLUMN {quote(column.name)} TYPE TEXT"
    )
    conn.execute(text(statement))
    return statement
