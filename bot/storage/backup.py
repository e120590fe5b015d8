"""`kuaidi-bot backup DIR`: a consistent copy of the database, safe while the bot runs.

SQLite is copied with its online backup API (a plain `cp` of a WAL database can miss the
latest writes or copy a half-written page); PostgreSQL is dumped with `pg_dump` in its custom
format (restore with `pg_restore`). Old copies beyond `keep` are removed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupFailed(RuntimeError):
    """The copy could not be made; the message says why (no secrets)."""


def backup(db_url: str, directory: Path, keep: int = 14) -> Path:
    """Write a copy of the database at `db_url` into `directory`; return its path."""
    url = make_url(db_url)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if url.get_backend_name() == "sqlite":
        target = directory / f"kuaidi-bot-{stamp}.sqlite3"
        _sqlite_copy(Path(url.database or ""), target)
        pattern = "kuaidi-bot-*.sqlite3"
    elif url.get_backend_name() == "postgresql":
        target = directory / f"kuaidi-bot-{stamp}.pgdump"
        _pg_dump(url.set(drivername="postgresql"), target)
        pattern = "kuaidi-bot-*.pgdump"
    else:
        raise BackupFailed(f"no backup method for {url.get_backend_name()} databases")
    for old in sorted(directory.glob(pattern))[:-keep]:
        old.unlink()
    return target


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupFailed(f"no SQLite database at {source}")
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    except sqlite3.Error as exc:
        dst.close()
        target.unlink(missing_ok=True)  # a half copy must not pass for a backup (or be kept)
        raise BackupFailed(f"SQLite backup of {source}: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _pg_dump(url, target: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupFailed("pg_dump not found: apt-get install postgresql-client")
    # The password goes in pg_dump's environment: argv is readable by every local user (ps).
    command = [program, "--format=custom", f"--file={target}", _without_password(url)]
    env = {**os.environ, "PGPASSWORD": url.password} if url.password else None
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        reason = (result.stderr.strip().splitlines() or ["failed"])[-1]
        if url.password:
            reason = reason.replace(url.password, "***")
        raise BackupFailed(f"pg_dump: {reason}")


def _without_password(url: URL) -> str:
    # URL.set() ignores None, so the URL is built again without the password.
    bare = URL.create(
        url.drivername, url.username, None, url.host, url.port, url.database, url.query
    )
    return bare.render_as_string(hide_password=False)
