"""A total deadline on reading a request body, whatever server runs the app.

A socket timeout bounds each read, not the whole body: a client sending a byte just before
every timeout keeps a server thread forever. Here one watchdog thread per app holds the
deadline of every request whose body is being read; when one passes before the view is done,
it shuts the read side of that request's socket, so the blocked read returns at once, and
the read raises `RequestTimeout` (408). The connection then reads as closed, so the server
drops it after answering instead of draining the rest of the slow body.

The socket comes from the environ (`gunicorn.socket`, or `werkzeug.socket` under the
development server); without one (the test client) there is nothing to wait for. Under
`adapters.buffered_worker` the body is already in memory when the app runs, so this is the
second line: it matters for plain `gthread` and the development server.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from werkzeug.exceptions import RequestTimeout

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]
#: The watchdog wakes at most this often (seconds), expiring every guard due by then: one
#: wake-up per request would cost more than the deadline's precision is worth.
GRANULARITY = 0.05


class _Guard:
    """One request's deadline: disarmed when the request ends, expired when it is too late."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.expired = False
        self._done = False
        self._lock = threading.Lock()

    def disarm(self) -> None:
        """The request is over: its socket must not be touched any more."""
        with self._lock:
            self._done = True

    def expire(self) -> None:
        """Too late: make the pending and every later read of the body return at once."""
        with self._lock:
            if self._done:
                return
            self.expired = True
        with contextlib.suppress(OSError):  # already closed by the client
            self.sock.shutdown(socket.SHUT_RD)


class Watchdog:
    """A thread that expires guards at their deadlines (all `seconds` after arming, so the
    queue is in deadline order). Started on first use, again after a fork."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._due: deque[_Guard] = deque()
        self._wake = threading.Condition()
        self._pid: int | None = None

    def arm(self, sock: socket.socket) -> _Guard:
        """Start the deadline of one request's body read on `sock`."""
        guard = _Guard(sock, time.monotonic() + self.seconds)
        with self._wake:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._due.clear()
                threading.Thread(target=self._run, name="body-deadline", daemon=True).start()
            self._due.append(guard)
            if len(self._due) == 1:
                self._wake.notify()
        return guard

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._due:
                    self._wake.wait()
                wait = self._due[0].deadline - time.monotonic()
                if wait > 0:
                    self._wake.wait(max(wait, GRANULARITY))
                    continue
                guard = self._due.popleft()
            guard.expire()


class _GuardedInput:
    """`wsgi.input` whose reads raise `RequestTimeout` once the guard has expired."""

    def __init__(self, stream, guard: _Guard) -> None:
        self._stream = stream
        self._guard = guard

    def read(self, size: int = -1) -> bytes:
        """Read like the server's stream; 408 if the deadline cut the read short."""
        return self._checked(lambda: self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        """Read one line like the server's stream; 408 if the deadline cut it short."""
        return self._checked(lambda: self._stream.readline(size))

    def __iter__(self):
        return iter(self.readline, b"")

    def _checked(self, read: Callable[[], bytes]) -> bytes:
        try:
            data = read()
        except OSError:
            if self._guard.expired:
                raise RequestTimeout() from None
            raise
        if self._guard.expired:
            raise RequestTimeout()
        return data


class BodyDeadline:
    """WSGI middleware: the body of each request must be read within `seconds` (0: off)."""

    def __init__(self, app: WSGIApp, seconds: float) -> None:
        self.app = app
        self.watchdog = Watchdog(seconds) if seconds > 0 else None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Serve one request, its body reads guarded by the deadline."""
        sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
        if self.watchdog is None or sock is None or not _has_body(environ):
            return self.app(environ, start_response)
        guard = self.watchdog.arm(sock)
        environ["wsgi.input"] = _GuardedInput(environ["wsgi.input"], guard)
        try:
            return self.app(environ, start_response)
        finally:
            guard.disarm()


def _has_body(environ: dict) -> bool:
    if environ.get("CONTENT_LENGTH", "0") not in ("", "0"):
        return True
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
