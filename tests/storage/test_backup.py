"""`kuaidi-bot backup`: a readable copy of the live database, old copies pruned."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from adapters.cli import main
from bot.storage import open_database
from bot.storage.backup import BackupFailed, backup
from bot.storage.schema import chat_settings
from tests.support.services import PG_URL, service_unavailable

NOW = datetime(2026, 1, 1, tzinfo=UTC)
#: The longest the session waits at its end for a database drop still running.
DROP_WAIT = 120.0


def test_sqlite_backup_is_a_consistent_copy_while_open(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "data").mkdir()
    db = open_database(f"sqlite:///{tmp_path / 'data' / 'kuaidi-bot.sqlite3'}")
    try:
        with db.engine.begin() as conn:  # written through the WAL, still open
            conn.execute(
                insert(chat_settings).values(
                    platform="t", chat_id="c", auto_mode=True, language="en", updated_at=NOW
                )
            )
        for _ in range(3):
            assert main(["backup", str(tmp_path / "copies"), "--keep", "2"]) == 0
    finally:
        db.dispose()
    copies = sorted((tmp_path / "copies").glob("kuaidi-bot-*.sqlite3"))
    assert 1 <= len(copies) <= 2
    with sqlite3.connect(copies[-1]) as conn:
        assert conn.execute("SELECT language FROM chat_settings").fetchall() == [("en",)]


@pytest.fixture(scope="session")
def dropped_at_the_end() -> Iterator[list[threading.Thread]]:
    """Database drops still running; the session waits for them once all tests are done."""
    drops: list[threading.Thread] = []
    yield drops
    for drop in drops:
        drop.join(DROP_WAIT)


@pytest.fixture
def own_database(dropped_at_the_end):
    """A database of its own (dumping the shared `test` database would race other tests).

    It is dropped in the background: DROP DATABASE waits for a server checkpoint, which took
    up to 78 s while other suites loaded the server, and nothing in the test needs that wait."""
    name = f"backup_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not available"
        service_unavailable("PostgreSQL", exc)
    url = make_url(PG_URL).set(database=name)
    yield url.render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()

    dropped_at_the_end.append(threading.Thread(target=drop, name=f"drop {name}", daemon=True))
    dropped_at_the_end[-1].start()


def test_postgres_backup_dumps_with_pg_dump(own_database, tmp_path):
    db = open_database(own_database)
    db.dispose()
    path = backup(own_database, tmp_path)
    assert path.suffix == ".pgdump" and path.read_bytes().startswith(b"PGDMP")
    listing = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True, text=True)
    assert "chat_settings" in listing.stdout


def test_unreachable_postgres_is_one_clear_error(tmp_path):
    with pytest.raises(BackupFailed) as caught:
        backup("postgresql+psycopg://postgres:hunter2@127.0.0.1:1/test", tmp_path)
    assert "pg_dump" in str(caught.value) and "hunter2" not in str(caught.value)
    assert not list(tmp_path.iterdir())


def test_a_failed_sqlite_copy_leaves_no_file_that_looks_like_a_backup(tmp_path):
    source = tmp_path / "kuaidi-bot.sqlite3"
    source.write_bytes(b"not a database, but a file of the right name" * 100)
    with pytest.raises(BackupFailed, match="SQLite backup"):
        backup(f"sqlite:///{source}", tmp_path / "backups")
    assert list((tmp_path / "backups").iterdir()) == []


def test_the_postgres_password_is_not_on_pg_dumps_command_line(tmp_path, mocker):
    mocker.patch("bot.storage.backup.shutil.which", return_value="/usr/bin/pg_dump")
    run = mocker.patch(
        "bot.storage.backup.subprocess.run",
        return_value=subprocess.CompletedProcess([], 0, "", ""),
    )
    backup("postgresql+psycopg://bot:s3cret-pw@db.internal:5432/kuaidi", tmp_path)
    (command,), options = run.call_args
    assert not any("s3cret-pw" in part for part in command)
    assert command[-1] == "postgresql://bot@db.internal:5432/kuaidi"
    assert options["env"]["PGPASSWORD"] == "s3cret-pw"
