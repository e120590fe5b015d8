"""A gunicorn worker that gives a thread only to requests that have fully arrived.

gunicorn's `gthread` worker hands a connection to a pool thread as soon as it has a byte to
read, and the thread then blocks while the client sends the rest: a few clients sending a
body one byte at a time hold every thread, and `/healthz` stops answering. This worker keeps
gthread's pool and keep-alive handling but reads each request in its main loop first, without
blocking, the way a buffering proxy does:

- a request (headers and body) must arrive within `REQUEST_READ_TIMEOUT` seconds, counted from
  the connection's accept (or a keep-alive connection's first new byte): else 408 and close;
  a connection that sends nothing in that time is closed silently;
- a declared or received body over `MAX_CONTENT_LENGTH` gets 413 as soon as that is known;
- only then is the request handed, whole and in memory, to gthread's parser and pool.

Both limits come from the served Flask app's config (`adapters.web.create_app` sets them from
the settings). h11 frames the requests here (gunicorn's parser is not incremental); gunicorn
parses them again in the thread. A pool thread's socket also gets the read timeout, so no
framing disagreement can block a thread forever. At most `worker_connections` connections
(gunicorn's setting) are held per process, each buffering at most one request.

Use it as `--worker-class adapters.buffered_worker.BufferedThreadWorker` (the Procfile and
`kuaidi-bot run` do). TLS and the PROXY protocol belong to the reverse proxy in front.
"""

from __future__ import annotations

import contextlib
import re
import selectors
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from http import HTTPStatus

import h11
from gunicorn.workers.gthread import TConn, ThreadWorker
from werkzeug.exceptions import default_exceptions

#: Used when the app does not say (a non-Flask app): the settings' defaults.
DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_MAX_BODY = 1_000_000
#: A request's header block may not exceed this (far above any platform's webhook headers).
MAX_HEADER_BYTES = 32 * 1024
#: Seconds a refused connection is drained before closing, so the client reads our answer
#: instead of a reset (closing with unread input sends RST, which can discard the response).
LINGER = 2.0
#: What a pool thread's first read returns for a request still arriving / refused.
_BACK, _LINGER = object(), object()


class _Arriving:
    """One request being received: h11 frames it, `raw` keeps its bytes for gunicorn."""

    def __init__(self, deadline: float, max_body: int) -> None:
        self.deadline = deadline
        self.max_body = max_body
        self.raw = bytearray()
        self.framer = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        self.body_bytes = 0
        self.continue_sent = False

    def feed(self, data: bytes) -> int | None:
        """Take bytes: None while incomplete, 0 when complete, or an HTTP status to refuse."""
        self.raw += data
        self.framer.receive_data(data)
        while True:
            try:
                event = self.framer.next_event()
            except h11.RemoteProtocolError as error:
                return error.error_status_hint
            if event is h11.NEED_DATA:
                return None
            if event is h11.PAUSED or isinstance(event, h11.EndOfMessage):
                return 0
            if isinstance(event, h11.Request) and _declared_length(event) > self.max_body:
                return 413
            if isinstance(event, h11.Data):
                self.body_bytes += len(event.data)
                if self.body_bytes > self.max_body:
                    return 413

    @property
    def wants_continue(self) -> bool:
        """The client sent `Expect: 100-continue` and waits for our go-ahead (once)."""
        return self.framer.they_are_waiting_for_100_continue and not self.continue_sent

    def request_bytes(self) -> tuple[bytes, bool]:
        """The complete request's bytes, and whether more (a pipelined request) followed."""
        extra, _closed = self.framer.trailing_data
        return bytes(self.raw[: len(self.raw) - len(extra)]), bool(extra)


def _declared_length(request: h11.Request) -> int:
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)  # h11 has checked it is one decimal number
    return 0


def error_response(status: int) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection; JSON like the app's errors."""
    phrase = HTTPStatus(status).phrase
    known = default_exceptions.get(status)
    slug = re.sub(r"[^a-z0-9]+", "_", (known().name if known else phrase).lower()).strip("_")
    body = b'{"error": "%s", "status": %d}' % (slug.encode(), status)
    head = (
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _WakingSelector(selectors.DefaultSelector):
    """gthread's selector, waking in time for the next request deadline (not up to 1 s late)."""

    def __init__(self, next_deadline: Callable[[], float | None]) -> None:
        super().__init__()
        self._next_deadline = next_deadline

    def select(self, timeout: float | None = None):
        """Wait for events, but no longer than until the earliest deadline."""
        due = self._next_deadline()
        if due is not None:
            wait = max(0.0, due - time.monotonic())
            timeout = wait if timeout is None else min(timeout, wait)
        return super().select(timeout)


class BufferedThreadWorker(ThreadWorker):
    """gthread, with each request read whole by the main loop before a thread sees it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Insertion order is deadline order: every deadline is "now + the same timeout".
        self._arriving: OrderedDict[TConn, _Arriving] = OrderedDict()
        self._lingering: OrderedDict[TConn, float] = OrderedDict()
        self._close_after: set[TConn] = set()
        self.read_timeout = DEFAULT_READ_TIMEOUT
        self.max_body = DEFAULT_MAX_BODY

    def run(self) -> None:
        """Read the limits from the loaded app, swap in the waking selector, then serve."""
        if self.cfg.is_ssl or self.cfg.proxy_protocol:
            raise RuntimeError(
                "BufferedThreadWorker serves plain HTTP: terminate TLS and the "
                "PROXY protocol in the reverse proxy"
            )
        config = getattr(self.wsgi, "config", None) or {}
        self.read_timeout = float(config.get("REQUEST_READ_TIMEOUT") or DEFAULT_READ_TIMEOUT)
        self.max_body = int(config.get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_BODY)
        self.poller.close()
        self.poller = _WakingSelector(self._next_deadline)
        super().run()

    def accept(self, server, listener) -> None:
        """Accept one connection and start its request's clock."""
        try:
            sock, client = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        conn = TConn(self.cfg, sock, client, server)
        with self._lock:
            self.nr_conns += 1
            self._arriving[conn] = _Arriving(time.monotonic() + self.read_timeout, self.max_body)
            self.poller.register(
                conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn)
            )

    def on_client_socket_readable(self, conn: TConn, client) -> None:
        """Bytes for a request being received, a keep-alive connection's next request, or a
        refused connection being drained."""
        try:
            self._readable(conn)
        except Exception:  # noqa: BLE001 - one connection's fault must not stop the worker
            self.log.exception("closing a connection after an unexpected error")
            self._close(conn)

    def _readable(self, conn: TConn) -> None:
        with self._lock:
            if conn in self._lingering:
                self._drain(conn)
                return
            arriving = self._arriving.get(conn)
            if arriving is not None and arriving.raw:  # a request arriving slowly: read here
                data = self._receive(conn)
                if data:
                    self._take(conn, arriving, data)
                return
            if arriving is None:  # a keep-alive connection wakes up: a new request starts
                try:
                    self._keep.remove(conn)
                except ValueError:
                    return  # closed as idle meanwhile
                arriving = _Arriving(time.monotonic() + self.read_timeout, self.max_body)
            # Its first bytes: a thread reads them, as gthread would, and serves the request
            # if it is all there (the usual case, and no extra work for this loop); if not,
            # the connection comes back here to be read without a thread.
            self._arriving.pop(conn, None)
            self.poller.unregister(conn.sock)
        self._wrap_future(self.tpool.submit(self._serve_first, conn, arriving), conn)

    def _serve_first(self, conn: TConn, arriving: _Arriving):
        """In a pool thread: read what the client has sent; serve it if it is complete."""
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return _BACK, conn, arriving
        except OSError:
            return False, conn
        if not data:
            return False, conn  # closed by the client: gthread closes it
        outcome = arriving.feed(data)
        if outcome is None:
            if arriving.wants_continue:
                arriving.continue_sent = True
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
            return _BACK, conn, arriving
        if outcome:
            self._send(conn, error_response(outcome))
            return _LINGER, conn, arriving
        self._prepare(conn, arriving)
        return self.handle(conn)

    def finish_request(self, fs) -> None:
        """gthread's bookkeeping, plus connections whose request is still arriving (back to
        the loop) or was refused (drained for a while, then closed)."""
        result = None if fs.cancelled() or fs.exception() else fs.result()
        if result is None or result[0] not in (_BACK, _LINGER):
            super().finish_request(fs)
            return
        kind, conn, arriving = result
        with self._lock:
            if kind is _BACK:
                self._arriving[conn] = arriving
            else:
                self._linger(conn)
            if conn in self._arriving or conn in self._lingering:
                self.poller.register(
                    conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn)
                )

    def _take(self, conn: TConn, arriving: _Arriving, data: bytes) -> None:
        outcome = arriving.feed(data)
        if outcome is None:
            if arriving.wants_continue:
                arriving.continue_sent = True
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
        elif outcome:
            self._refuse(conn, outcome)
        else:
            self._dispatch(conn, arriving)

    def _dispatch(self, conn: TConn, arriving: _Arriving) -> None:
        """Hand the complete request to gthread: its parser reads it from memory."""
        del self._arriving[conn]
        self.poller.unregister(conn.sock)
        self._prepare(conn, arriving)
        self.enqueue_req(conn)

    def _prepare(self, conn: TConn, arriving: _Arriving) -> None:
        """Give gunicorn's parser the complete request."""
        request, pipelined = arriving.request_bytes()
        if pipelined:
            # The next request is already here; framing it would need gunicorn's parser
            # state. Answer this one and close: clients resend unanswered pipelined requests.
            self._close_after.add(conn)
        conn.init()
        conn.parser.unreader.unread(request)

    def handle(self, conn: TConn):
        """gthread's request handling, with a bounded socket and no keep-alive after a
        pipelined request."""
        conn.sock.settimeout(self.read_timeout)
        keepalive, conn = super().handle(conn)
        if conn in self._close_after:
            self._close_after.discard(conn)
            keepalive = False
        return keepalive, conn

    def murder_keepalived(self) -> None:
        """gthread's idle keep-alive sweep, plus overdue requests and finished lingers."""
        super().murder_keepalived()
        with self._lock:
            self._sweep(time.monotonic())

    def _sweep(self, now: float) -> None:
        while self._arriving:
            conn, arriving = next(iter(self._arriving.items()))
            if arriving.deadline > now:
                break
            if arriving.raw:
                self._refuse(conn, 408)
            else:
                self._close(conn)
        while self._lingering:
            conn, until = next(iter(self._lingering.items()))
            if until > now:
                break
            self._close(conn)

    def _next_deadline(self) -> float | None:
        with self._lock:
            return self._first_deadline()

    def _first_deadline(self) -> float | None:
        firsts = [
            next(iter(self._arriving.values())).deadline if self._arriving else None,
            next(iter(self._lingering.values())) if self._lingering else None,
        ]
        due = [when for when in firsts if when is not None]
        return min(due) if due else None

    def _refuse(self, conn: TConn, status: int) -> None:
        """Answer with `status`, stop sending, and drain the client's input for a while."""
        self._arriving.pop(conn, None)
        self._send(conn, error_response(status))
        self._linger(conn)

    def _linger(self, conn: TConn) -> None:
        """Stop sending; keep reading (and discarding) until the client closes, or LINGER."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        self._lingering[conn] = time.monotonic() + LINGER

    def _drain(self, conn: TConn) -> None:
        self._receive(conn)  # discarded: the answer is sent

    def _receive(self, conn: TConn) -> bytes | None:
        """What the socket has (None: nothing yet); closes the connection at its end."""
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            data = b""
        if not data:
            self._close(conn)
        return data

    def _send(self, conn: TConn, data: bytes) -> None:
        """A short answer on a fresh, non-blocking socket: it fits in the send buffer."""
        with contextlib.suppress(OSError):  # the client is gone; closing follows
            conn.sock.send(data)

    def _close(self, conn: TConn) -> None:
        with self._lock:
            self._arriving.pop(conn, None)
            self._lingering.pop(conn, None)
            with contextlib.suppress(KeyError, ValueError, OSError):  # already gone
                self.poller.unregister(conn.sock)
            conn.close()
            self.nr_conns -= 1
