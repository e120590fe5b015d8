"""The parts `bench/soak.py` breaks on purpose, each private to one run so that nothing else on
a shared machine is touched:

- `PrivateDatabase`: a database `soak_<random>` created on the PostgreSQL server and dropped
  afterwards; `terminate_backends()` cuts every connection to it (and only to it);
- `PrivateRedis`: a `redis-server` of our own on a free port, stopped and started again;
- `TcpProxy`: a loopback TCP proxy in front of the fake upstream; `cut()` drops every
  connection through it and refuses new ones until `restore()`.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import threading
import time
import uuid

import psycopg
from psycopg import sql

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


class PrivateDatabase:
    """A database of this run's own on the shared PostgreSQL server."""

    def __init__(self, admin_dsn: str = ADMIN_DSN) -> None:
        self.admin_dsn = admin_dsn
        self.name = f"soak_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        params = psycopg.conninfo.conninfo_to_dict(admin_dsn)
        self.url = (
            f"postgresql+psycopg://{params['user']}@{params['host']}:{params['port']}/{self.name}"
        )

    def terminate_backends(self) -> int:
        """Terminate every server process connected to this database; how many there were."""
        query = (
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()"
        )
        for attempt in range(10):  # the shared server may be full for a moment
            try:
                with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
                    return conn.execute(query, (self.name,)).fetchone()[0]
            except psycopg.OperationalError:
                if attempt == 9:
                    raise
                time.sleep(1.0)
        raise AssertionError("unreachable")

    def drop(self) -> None:
        """Drop the database, ending whatever is still connected to it."""
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            name = sql.Identifier(self.name)
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


class PrivateRedis:
    """`redis-server` on a free loopback port, without persistence."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.folder = tempfile.mkdtemp(prefix="soak-redis-")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        args = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        args += ["--save", "", "--appendonly", "no", "--dir", self.folder]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        """Stop the server (SIGTERM, as an operator or a crash of the host would)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


class TcpProxy:
    """Forwards loopback connections to `target_port`, until cut."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = threading.Event()
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """Drop every connection and refuse new ones (they are closed on arrival)."""
        self._cut.set()
        with self._lock:
            for sock in self._open:
                _close(sock)
            self._open.clear()

    def restore(self) -> None:
        """Forward again."""
        self._cut.clear()

    def close(self) -> None:
        """Stop listening and drop what is open."""
        self.cut()
        _close(self.listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self._cut.is_set():
                self.refused += 1
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        with self._lock:
            self._open.discard(source)
            self._open.discard(sink)
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
