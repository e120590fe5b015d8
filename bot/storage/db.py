"""Opening the database: engine creation, schema creation and the schema-version check."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.storage.migrate import upgrade
from bot.storage.schema import SCHEMA_VERSION, metadata, schema_meta

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Pooled connections older than this are replaced when taken (they are not pinged before
#: each use), so one cut by a server setting or a restart is seldom found dead.
POOL_RECYCLE_SECONDS = 300
#: libpq TCP keepalives: an idle pooled connection sends a probe every minute, so network
#: boxes in between (NAT, cloud load balancers: idle timeouts of 4 min and more) keep it.
#: Advisory lock held while a process creates or checks the schema (any fixed 64-bit number).
SCHEMA_LOCK_KEY = 0x6B7561696469  # "kuaidi"
#: Only processes creating tables in the same schema need to wait for each other: the usual
#: `public` keeps the fixed key (as older versions took it); any other schema (a test's, a
#: second deployment's) locks a key of its own instead of queueing behind everyone's.
SCHEMA_LOCK = text(
    "SELECT pg_advisory_xact_lock(CASE WHEN current_schema() = 'public' THEN :key"
    " ELSE hashtextextended(current_schema(), :key) END)"
)
#: A value quoted at the end of a PostgreSQL message (`invalid input syntax …: "abc"`).
_QUOTED_VALUE = re.compile(r':\s*".*"$', re.DOTALL)
PG_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 60, "keepalives_interval": 10}


class SchemaTooNew(RuntimeError):
    """The database was written by a newer version of the bot."""


@dataclass
class Database:
    """A SQLAlchemy engine plus what the rest of the bot asks of the backend."""

    engine: Engine

    @property
    def is_postgres(self) -> bool:
        """True on PostgreSQL, where row claims use `FOR UPDATE SKIP LOCKED`."""
        return self.engine.dialect.name == "postgresql"

    @property
    def is_sqlite(self) -> bool:
        """True on SQLite (single process; writes are serialised by the file lock)."""
        return self.engine.dialect.name == "sqlite"

    def ping(self) -> bool:
        """True when the database answers a trivial query."""

        def select_one() -> None:
            with self.engine.connect() as conn:
                conn.execute(select(1))

        try:
            self.once_more_if_disconnected(select_one)  # a pooled connection may be stale
            return True
        except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
            log.warning("database ping failed", exc_info=True)
            return False

    def once_more_if_disconnected(self, work: Callable[[], T]) -> T:
        """Run `work`; if its connection turned out dead, run it once more on a new one.

        Pooled connections are not pinged before use (a round trip per transaction on the
        webhook's and the sender's paths); a dead one (database restarted, connection cut)
        fails its first statement instead, SQLAlchemy then discards every pooled connection,
        and the retry connects afresh. `work` must be one transaction that is safe to repeat:
        where the first try committed just before the connection died, the repeat finds its
        row already written (an ignored insert, a claim no longer held)."""
        try:
            return work()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("database connection lost; retrying once on a new connection")
            return work()

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def open_database(url: str, **engine_kwargs) -> Database:
    """Connect, create missing tables and record or check the schema version.

    The tables are those on `bot.storage.schema.metadata`: the core's, and those of every
    layer imported so far (each layer's table module adds its own; the composition root
    imports them all before it opens the database)."""
    # Statement parameters are message text, phone tails and user ids: database errors
    # (logged, stored as a row's last_error) show the SQL but never the values.
    engine_kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, parsed.database, **engine_kwargs)
    else:
        # Settings in the URL's query (e.g. ?keepalives_idle=30) win over these defaults.
        keepalives = {k: v for k, v in PG_KEEPALIVES.items() if k not in parsed.query}
        engine_kwargs["connect_args"] = {**keepalives, **engine_kwargs.get("connect_args", {})}
        engine = create_engine(url, pool_recycle=POOL_RECYCLE_SECONDS, **engine_kwargs)
        event.listen(engine, "handle_error", _without_values)
    _create_schema(engine)
    return Database(engine)


def _create_schema(engine: Engine) -> None:
    """Create missing tables and record or check the version, one process at a time.

    Processes start together (gunicorn's workers, several `kuaidi-bot worker`), and on
    PostgreSQL a second concurrent CREATE TABLE of the same name fails instead of waiting; the
    advisory lock makes the others wait and then find the tables there."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(SCHEMA_LOCK, {"key": SCHEMA_LOCK_KEY})
        metadata.create_all(conn)
        _check_version(conn)


def _without_values(context) -> None:
    """Cut the values out of a PostgreSQL error before anything logs or stores it.

    hide_parameters leaves out the statement's parameters, but the server's own message
    quotes them too: DETAIL "Failing row contains (…)" or "Key (…)=(…)", and a bad value
    after "invalid input syntax …:". The primary message and the SQL still say what failed."""
    original = context.original_exception
    primary = getattr(getattr(original, "diag", None), "message_primary", None)
    if not primary:
        return
    message = _QUOTED_VALUE.sub(': "…"', primary)
    original.args = (message,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None:
        kind = type(original)
        wrapped.args = (f"({kind.__module__}.{kind.__name__}) {message}",)


def _sqlite_engine(url: str, path: str | None, **engine_kwargs) -> Engine:
    """SQLite tuned for a web thread and worker threads sharing one file."""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, **engine_kwargs
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:
        # WAL lets readers proceed while a writer commits; busy_timeout rides out short locks.
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return engine


def _check_version(conn: Connection) -> None:
    """Refuse a database from a newer bot; bring the registered tables up to date
    (`bot.storage.migrate`: on every start, as a process registers only its layers' tables);
    record the version."""
    row = conn.execute(
        select(schema_meta.c.value).where(schema_meta.c.key == "schema_version")
    ).first()
    found = None if row is None else int(row.value)
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaTooNew(f"database schema {found} is newer than this bot's {SCHEMA_VERSION}")
    upgrade(conn, metadata)
    if found is None:
        conn.execute(insert(schema_meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
    elif found < SCHEMA_VERSION:
        conn.execute(
            update(schema_meta)
            .where(schema_meta.c.key == "schema_version")
            .values(value=str(SCHEMA_VERSION))
        )
        log.warning("database schema upgraded from %d to %d", found, SCHEMA_VERSION)
