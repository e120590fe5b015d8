"""Gateway benchmark: webhook acknowledgement and reply latency, queued vs. processed inline.

Everything runs on 127.0.0.1, in separate processes like a deployment:
- a fake upstream (tests/fakes/upstream_server.py) answering every query in 1.5 s;
- the web app under gunicorn (gthread) with the test-only platform adapter;
- queued mode: `--workers` (default 2) `kuaidi-bot worker`-like processes (run_worker_forever)
  calling the fake upstream over HTTP and sending replies to a fake platform API; one is
  killed with SIGKILL mid-run and restarted, so its claims are recovered through their leases;
- naive mode: the same webhook, but the handler and the send run inside the request;
- this process: the fake platform API (records replies) and an open-loop load generator
  sending signed webhooks at a steady rate. Like Feishu, it re-delivers a webhook that was not
  answered within 3 s (up to twice), which is what makes a slow bot answer twice.

    .venv/bin/python bench/gateway.py [--seconds 30 --rate 200 --db postgres|sqlite --workers 2]

Reports per mode: ack latency p50/p99/max (first attempt, from its scheduled time), reply
latency minus the upstream's 1.5 s (p50/p99/max), replies lost, resends (raw sends beyond one
per update, and the keys they repeat: visible twice on a platform without an idempotency key),
visible duplicates on a platform honouring the key (like Feishu's uuid), re-deliveries.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from adapters.testing import FakePlatformAPI, TestingAdapter, TestingSender, signed_headers  # noqa: E402,I001
from bot.models import Reply, target_of  # noqa: E402

SECRET = "bench-secret"
UPSTREAM_LATENCY = 1.5
PLATFORM_TIMEOUT = 3.0  # Feishu's deadline; the load generator re-delivers after it
LEASE_SECONDS = 10.0
HANDLER_CLIENTS = 16
GUNICORN_THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "8"))  # the Procfile's 2 × 8
PG_URL = os.environ.get("DATABASE_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Hundreds of connections arrive at once; the default backlog of 5 would drop SYNs.
ThreadingHTTPServer.request_queue_size = 1024


# --- code run inside the child processes (configured through BENCH_* variables) -----------
def _handler():
    """The core handler stand-in: one upstream query over HTTP, one reply.

    Each handler thread keeps to one of a few HTTP clients: httpcore's pool walks all of its
    connections on every request, so one client shared by 200 threads (200+ connections)
    costs ~3x the CPU and, past ~200 in flight, stretched 1.5 s answers to 3–5 s (measured:
    one client, 300 threads: 69/s, p50 5.5 s; 16 clients: 200/s, p50 1.55 s).
    """
    clients = [
        httpx.Client(
            base_url=os.environ["BENCH_UPSTREAM_URL"],
            timeout=10.0,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
        )
        for _ in range(HANDLER_CLIENTS)
    ]
    assigned = itertools.count()
    local = threading.local()

    def handle(message):
        if not hasattr(local, "http"):
            local.http = clients[next(assigned) % len(clients)]
        answer = local.http.get("/query", params={"kddh": message.text}).json()
        return [Reply(text=f"{message.text} {answer.get('kdmc')} {answer.get('status')}")]

    return handle


def web_app():
    """Queued mode's web process: `gunicorn 'bench.gateway:web_app()'`."""
    from adapters.web import create_app
    from bot.clock import Clock
    from bot.runtime.runtime import Runtime
    from bot.settings import Settings
    from bot.storage import open_database

    db = open_database(os.environ["BENCH_DB_URL"], pool_size=8, max_overflow=8)
    runtime = Runtime(db, lambda m: [], {}, Clock(), worker_threads=0, sender_threads=0)
    adapter = TestingAdapter(SECRET, os.environ["BENCH_PLATFORM_URL"])
    return create_app(runtime, [adapter], Settings(_env_file=None), lambda: True)


class _InlineInbox:
    """Naive mode: handle and send inside the webhook request, as a slow bot does."""

    def __init__(self) -> None:
        self.handle = _handler()
        self.sender = TestingSender(os.environ["BENCH_PLATFORM_URL"])

    def accept(self, delivery_id, message) -> bool:
        for index, reply in enumerate(self.handle(message)):
            self.sender.send(target_of(message), reply, f"testing:{delivery_id}:{index}")
        return True


def naive_app():
    """Naive mode's web process: `gunicorn 'bench.gateway:naive_app()'`."""
    from flask import Flask

    app = Flask("naive")
    adapter = TestingAdapter(SECRET, os.environ["BENCH_PLATFORM_URL"])
    app.register_blueprint(adapter.blueprint(_InlineInbox()))
    return app


def _worker_main() -> None:
    from bot.clock import Clock
    from bot.runtime.runtime import Runtime, run_worker_forever
    from bot.storage import open_database

    db = open_database(os.environ["BENCH_DB_URL"], pool_size=20, max_overflow=10)
    runtime = Runtime(
        db,
        _handler(),
        {"testing": TestingSender(os.environ["BENCH_PLATFORM_URL"])},
        Clock(),
        worker_threads=int(os.environ.get("BENCH_WORKER_THREADS", "400")),
        sender_threads=16,
        lease_seconds=LEASE_SECONDS,
        send_lease_seconds=LEASE_SECONDS,
        poll_interval=0.02,
    )
    run_worker_forever(runtime)


def _upstream_main() -> None:
    from tests.fakes.upstream_server import FakeUpstream

    server = FakeUpstream(appcode=None, latency=UPSTREAM_LATENCY).start()
    print(server.url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or dies)


# --- orchestration ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _spawn(args: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, **kwargs)


def _gunicorn(app: str, port: int, threads: int, env: dict[str, str]) -> subprocess.Popen:
    binary = str(Path(sys.executable).parent / "gunicorn")
    args = [binary, "--pythonpath", str(ROOT), "-k", "gthread", "-w", "2"]
    args += ["--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    return _spawn(args + ["--graceful-timeout", "3", app], env)


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


class Load:
    """An open-loop generator: request i is due at start + i/rate, whatever came before."""

    def __init__(self, url: str, rate: float, seconds: float, threads: int) -> None:
        self.url, self.rate, self.count = url, rate, int(rate * seconds)
        self.pool = ThreadPoolExecutor(threads)
        # One client for all threads: a client per thread costs an SSL context each, and
        # building hundreds of them starves this process (and its measurements) of CPU.
        self.client = httpx.Client(
            timeout=PLATFORM_TIMEOUT,
            limits=httpx.Limits(max_connections=threads, max_keepalive_connections=threads),
        )
        self.due: dict[int, float] = {}
        self.first_ack: dict[int, float | None] = {}
        self.deliveries: Counter[int] = Counter()

    def run(self, at_half: callable | None = None) -> None:
        start = time.time() + 0.5
        for i in range(self.count):
            due = start + i / self.rate
            time.sleep(max(0.0, due - time.time()))
            if at_half is not None and i == self.count // 2:
                threading.Thread(target=at_half, daemon=True).start()
            self.due[i] = due
            self.pool.submit(self._fire, i, due)
        self.pool.shutdown(wait=True)

    def _fire(self, i: int, due: float) -> None:
        client = self.client
        text = f"YT{i:013d}"
        body = json.dumps(
            {"update_id": i, "chat_id": f"chat{i % 4000}", "user_id": "u", "text": text}
        )
        latency = None
        for attempt in range(3):  # first delivery plus two re-deliveries, like Feishu
            self.deliveries[i] += 1
            try:
                response = client.post(
                    self.url, content=body, headers=signed_headers(SECRET, body.encode())
                )
                if attempt == 0:
                    latency = time.time() - due
                if response.status_code == 200:
                    break
            except httpx.HTTPError:
                continue
        self.first_ack[i] = latency


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return {"p50": statistics.median(values), "p99": p99, "max": values[-1]}


def _summarise(mode: str, load: Load, api: FakePlatformAPI, killed: bool) -> dict:
    sends = list(api.sends)
    first_reply: dict[int, float] = {}
    for send in sends:
        i = int(send.idempotency_key.split(":")[1])
        first_reply[i] = min(first_reply.get(i, send.at), send.at)
    per_key = Counter(send.idempotency_key for send in sends)
    acks = [v for v in load.first_ack.values() if v is not None]
    replies = [first_reply[i] - load.due[i] - UPSTREAM_LATENCY for i in first_reply]
    ms = lambda d: {k: (None if v is None else round(v * 1000, 1)) for k, v in d.items()}  # noqa: E731
    return {
        "mode": mode,
        "requests": load.count,
        "worker_killed_mid_run": killed,
        "ack_ms": ms(_percentiles(acks)),
        "ack_timeouts": sum(1 for v in load.first_ack.values() if v is None),
        "reply_minus_upstream_ms": ms(_percentiles(replies)),
        "lost": load.count - len(first_reply),  # minus `left_over`, if any, which are late
        # Sends beyond one per update, all repeating an idempotency key already sent: what a
        # platform without such a key (Telegram, WeCom) would show as a second message.
        "resends_raw": len(sends) - len(first_reply),
        "resent_keys": sum(1 for n in per_key.values() if n > 1),
        # Messages users see beyond one per update on a platform that honours the key, as
        # Feishu does with `uuid` (the fake platform API does the same).
        "duplicates_visible_keyed": api.visible_count() - len(first_reply),
        "redeliveries": sum(load.deliveries.values()) - load.count,
    }


def _drain(api: FakePlatformAPI, expected: int, idle_seconds: float, cap: float) -> None:
    """Wait until every update has a reply, or no reply arrived for `idle_seconds`."""
    deadline, last, seen = time.monotonic() + cap, time.monotonic(), 0
    while time.monotonic() < deadline and seen < expected:
        time.sleep(0.2)
        now_seen = len(set(api.sent_keys()))
        if now_seen > seen:
            seen, last = now_seen, time.monotonic()
        elif time.monotonic() - last > idle_seconds:
            break
    time.sleep(1.0)  # late duplicates, if any, arrive now


def _backlog(db_url: str) -> dict[str, int]:
    """Rows still waiting (or parked) when the drain ended: delayed, not lost."""
    from sqlalchemy import func, select

    from bot.runtime.schema import inbox, outbox
    from bot.storage import open_database

    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            counts = {}
            for name, table in (("inbox", inbox), ("outbox", outbox)):
                query = select(table.c.status, func.count()).group_by(table.c.status)
                for status, n in conn.execute(query):
                    if status in ("pending", "parked"):
                        counts[f"{name}_{status}"] = n
            return counts
    finally:
        db.dispose()


def _database_url(kind: str) -> tuple[str, callable]:
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-gateway-")
        return f"sqlite:///{folder}/bench.sqlite3", lambda: None
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop


def run_mode(mode: str, args, upstream_url: str) -> dict:
    """One mode, start to finish, with its own database and fake platform."""
    from bot.storage import open_database

    api = FakePlatformAPI()
    api.start()
    db_url, drop = _database_url(args.db)
    open_database(db_url).dispose()  # create the tables once, before the processes race
    env = {
        "BENCH_DB_URL": db_url,
        "BENCH_PLATFORM_URL": api.url,
        "BENCH_UPSTREAM_URL": upstream_url,
    }
    port, workers, processes = _free_port(), [], []
    # Workers run at a lower CPU priority: the webhook answer is the latency-critical path,
    # and on a crowded machine the workers should wait, not the platform's request.
    worker_args = ["nice", "-n", "10", sys.executable, __file__, "--role", "worker"]
    spawn_worker = lambda: _spawn(worker_args, env)  # noqa: E731
    try:
        if mode == "queued":
            processes.append(_gunicorn("bench.gateway:web_app()", port, GUNICORN_THREADS, env))
            env["BENCH_WORKER_THREADS"] = str(400 // args.workers)
            workers = [spawn_worker() for _ in range(args.workers)]
        else:
            processes.append(_gunicorn("bench.gateway:naive_app()", port, 250, env))
        _wait_http(f"http://127.0.0.1:{port}/healthz")
        time.sleep(1.0)  # let the worker processes open their pools
        threads = 64 if mode == "queued" else 700
        load = Load(f"http://127.0.0.1:{port}/webhook/testing", args.rate, args.seconds, threads)

        def kill_and_restart() -> None:
            os.kill(workers[0].pid, signal.SIGKILL)
            workers[0].wait()
            workers[0] = spawn_worker()

        killed = mode == "queued" and not args.no_kill
        load.run(kill_and_restart if killed else None)
        _drain(api, load.count, idle_seconds=LEASE_SECONDS * 2, cap=300)
        return {**_summarise(mode, load, api, killed), "left_over": _backlog(db_url)}
    finally:
        for process in [*processes, *workers]:
            _stop(process)
        api.stop()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--modes", default="queued,naive")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (queued)")
    parser.add_argument("--no-kill", action="store_true", help="do not kill a worker")
    parser.add_argument("--role", choices=["worker", "upstream"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "worker":
        return _worker_main()
    if args.role == "upstream":
        return _upstream_main()
    upstream = _spawn(
        [sys.executable, __file__, "--role", "upstream"],
        {},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        upstream_url = upstream.stdout.readline().strip()
        results = [run_mode(mode, args, upstream_url) for mode in args.modes.split(",")]
    finally:
        upstream.stdin.close()
        _stop(upstream)
    print(
        json.dumps(
            {"db": args.db, "rate": args.rate, "seconds": args.seconds, "results": results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
