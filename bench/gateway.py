"""Gateway benchmark: webhook acknowledgement and reply latency, queued vs. processed inline.

Everything runs on 127.0.0.1, in separate processes like a deployment:
- a fake upstream (tests/fakes/upstream_server.py) answering every query in 1.5 s;
- the web app under gunicorn (the Procfile's worker class; `queued:gthread` or
  `embedded:gthread` runs plain gthread instead) with the test-only platform adapter;
- queued mode: `--workers` (default 2) `kuaidi-bot worker`-like processes (run_worker_forever)
  calling the fake upstream over HTTP and sending replies to a fake platform API; one is
  killed with SIGKILL mid-run and restarted, so its claims are recovered through their leases;
- naive mode: the same webhook, but the handler and the send run inside the request;
- a fake platform API process recording the replies (with Feishu's idempotent `uuid`);
- this process: an open-loop load generator sending signed webhooks at a steady rate. Like
  Feishu, it re-delivers a webhook that was not answered within 3 s (up to twice), which is
  what makes a slow bot answer twice.

    .venv/bin/python bench/gateway.py [--seconds 30 --rate 200 --db postgres|sqlite --workers 2]
        [--modes queued,naive | queued,queued:gthread | embedded,embedded:gthread] [--profile]

Reports per mode: ack latency p50/p99/max (first attempt, from its scheduled time), reply
latency minus the upstream's 1.5 s (p50/p99/max), replies lost, resends (raw sends beyond one
per update, and the keys they repeat: visible twice on a platform without an idempotency key),
visible duplicates on a platform honouring the key (like Feishu's uuid), re-deliveries, and
the CPU seconds each group of processes used while the load ran (bench/cpu.py) and the same
per message in milliseconds. `--profile` adds py-spy's top functions (self and cumulative
share of GIL-holding samples) of one web and one worker process (bench/profiling.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import gateway_roles as roles  # noqa: E402
from bench.cpu import CpuMeter  # noqa: E402
from bench.processes import (  # noqa: E402
    PROCFILE_WORKER,
    free_port,
    gunicorn,
    spawn,
    stop,
    wait_http,
)
from bench.profiling import StageProfile, cpu_per_message  # noqa: E402
from tests.fakes.testing_platform import signed_headers  # noqa: E402

PLATFORM_TIMEOUT = 3.0  # Feishu's deadline; the load generator re-delivers after it
GUNICORN_THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "8"))  # the Procfile's 2 × 8
PG_URL = os.environ.get("DATABASE_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROLES = {
    "worker": roles.worker_main,
    "upstream": roles.upstream_main,
    "platform": roles.platform_main,
}


def spawn_role(role: str, env: dict[str, str] | None = None, nice: int = 0) -> subprocess.Popen:
    """A child process running `role`, talking over its stdin/stdout (text lines)."""
    args = [sys.executable, __file__, "--role", role]
    if nice:
        args = ["nice", "-n", str(nice), *args]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    return spawn(args, env or {}, **pipes)


class Platform:
    """The fake platform API process, asked over a pipe what it has received."""

    def __init__(self) -> None:
        self.process = spawn_role("platform")
        self.url = self.process.stdout.readline().strip()

    def _ask(self, command: str) -> str:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline()

    def seen(self) -> int:
        """Distinct idempotency keys sent so far."""
        return int(self._ask("seen"))

    def records(self) -> tuple[list[RecordedSend], int]:
        """Every send received, and how many messages a user sees (one per key)."""
        data = json.loads(self._ask("dump"))
        return [RecordedSend(**send) for send in data["sends"]], data["visible"]


@dataclass(frozen=True)
class RecordedSend:
    """One send the fake platform received."""

    chat_id: str
    text: str
    idempotency_key: str
    at: float


class Load:
    """An open-loop generator: request i is due at start + i/rate, whatever came before.

    Each thread keeps one plain `http.client` connection: the generator stands in for the
    platform, and the lighter it is, the less its own work shows up in the latencies.
    """

    def __init__(self, url: str, rate: float, seconds: float, threads: int) -> None:
        self.rate, self.count = rate, int(rate * seconds)
        parsed = httpx.URL(url)
        self.host, self.port, self.path = parsed.host, parsed.port, parsed.path
        self.pool = ThreadPoolExecutor(threads)
        self.local = threading.local()
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

    def _post(self, body: bytes) -> int:
        """POST on this thread's connection; a kept-alive one the server closed is redialled."""
        for fresh in (False, True):
            conn = None if fresh else getattr(self.local, "conn", None)
            reused = conn is not None
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=PLATFORM_TIMEOUT)
                self.local.conn = conn
            try:
                conn.request("POST", self.path, body, signed_headers(roles.SECRET, body))
                response = conn.getresponse()
                response.read()
                return response.status
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                self.local.conn = None
                if not reused:  # a fresh connection failing is a real failure
                    raise
                # gunicorn closes idle keep-alive connections after 2 s; every HTTP client
                # (platforms' included) retries such a request once on a new connection.
            except (OSError, http.client.HTTPException):
                conn.close()  # timed out or broken: the next attempt reconnects
                self.local.conn = None
                raise
        raise AssertionError("unreachable")

    def _fire(self, i: int, due: float) -> None:
        body = json.dumps(
            {"update_id": i, "chat_id": f"chat{i % 4000}", "user_id": "u", "text": f"YT{i:013d}"}
        ).encode()
        latency = None
        for attempt in range(3):  # first delivery plus two re-deliveries, like Feishu
            self.deliveries[i] += 1
            try:
                status = self._post(body)
            except (OSError, http.client.HTTPException):
                continue
            if attempt == 0:
                latency = time.time() - due
            if status == 200:
                break
        self.first_ack[i] = latency


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return {"p50": statistics.median(values), "p99": p99, "max": values[-1]}


def _summarise(mode: str, load: Load, platform: Platform, killed: bool) -> dict:
    sends, visible = platform.records()
    first_reply: dict[int, float] = {}
    for send in sends:
        i = int(send.idempotency_key.split(":")[1])
        first_reply[i] = min(first_reply.get(i, send.at), send.at)
    per_key = Counter(send.idempotency_key for send in sends)
    acks = [v for v in load.first_ack.values() if v is not None]
    replies = [first_reply[i] - load.due[i] - roles.UPSTREAM_LATENCY for i in first_reply]
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
        "duplicates_visible_keyed": visible - len(first_reply),
        "redeliveries": sum(load.deliveries.values()) - load.count,
    }


def drain(platform: Platform, expected: int, idle_seconds: float, cap: float) -> None:
    """Wait until every update has a reply, or no reply arrived for `idle_seconds`."""
    deadline, last, seen = time.monotonic() + cap, time.monotonic(), 0
    while time.monotonic() < deadline and seen < expected:
        time.sleep(0.2)
        now_seen = platform.seen()
        if now_seen > seen:
            seen, last = now_seen, time.monotonic()
        elif time.monotonic() - last > idle_seconds:
            break
    time.sleep(1.0)  # late duplicates, if any, arrive now


def backlog(db_url: str) -> dict[str, int]:
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


def run_mode(mode: str, args, upstream: subprocess.Popen, upstream_url: str) -> dict:
    """One mode (`queued`, `embedded`, `naive`; `:gthread` for plain gthread web processes),
    start to finish, with its own database and fake platform."""
    from bot.storage import open_database

    label, (mode, _, server) = mode, mode.partition(":")
    worker_class = server or PROCFILE_WORKER

    platform = Platform()
    db_url, drop = _database_url(args.db)
    open_database(db_url).dispose()  # create the tables once, before the processes race
    env = {
        "BENCH_DB_URL": db_url,
        "BENCH_PLATFORM_URL": platform.url,
        "BENCH_UPSTREAM_URL": upstream_url,
        # Enough handler threads for 1.5 s × 200/s in flight, shared by the worker processes.
        "BENCH_WORKER_THREADS": str(400 if mode == "embedded" else 400 // args.workers),
    }
    port, workers, processes = free_port(), [], []
    # Workers run at a lower CPU priority: the webhook answer is the latency-critical path,
    # and on a crowded machine the workers should wait, not the platform's request.
    spawn_worker = lambda: spawn_role("worker", env, nice=10)  # noqa: E731
    try:
        if mode == "queued":
            app = "bench.gateway_roles:web_app()"
            processes.append(gunicorn(app, port, GUNICORN_THREADS, env, 2, worker_class))
            workers = [spawn_worker() for _ in range(args.workers)]
        elif mode == "embedded":
            app = "bench.gateway_roles:embedded_app()"
            processes.append(gunicorn(app, port, GUNICORN_THREADS, env, 1, worker_class))
        else:
            naive = "bench.gateway_roles:naive_app()"
            processes.append(gunicorn(naive, port, 250, env, worker_class="gthread"))
        wait_http(f"http://127.0.0.1:{port}/healthz")
        time.sleep(1.0)  # let the worker processes open their pools
        threads = 700 if mode == "naive" else 64
        load = Load(f"http://127.0.0.1:{port}/webhook/testing", args.rate, args.seconds, threads)
        meter = CpuMeter()
        for process, group in ((upstream, "upstream"), (platform.process, "platform")):
            meter.track(process.pid, group)
        meter.track(processes[0].pid, "web")
        for worker in workers:
            meter.track(worker.pid, "workers")

        def kill_and_restart() -> None:
            meter.sample()  # what the killed worker used until now
            os.kill(workers[0].pid, signal.SIGKILL)
            workers[0].wait()
            workers[0] = spawn_worker()
            meter.track(workers[0].pid, "workers")

        killed = mode == "queued" and not args.no_kill
        profile = StageProfile(args.profile, args.seconds, label, processes[0], workers)
        meter.start()
        started = time.monotonic()
        profile.start()
        load.run(kill_and_restart if killed else None)
        cpu = {"seconds": round(time.monotonic() - started, 1), **meter.stop()}
        drain(platform, load.count, idle_seconds=roles.LEASE_SECONDS * 2, cap=300)
        summary = _summarise(label, load, platform, killed)
        # CPU seconds per group while the load ran (2 cores give 2 s per second), and per
        # message: what a run on any machine shows as cost, not only as speed.
        result = {**summary, "left_over": backlog(db_url), "cpu_during_load": cpu}
        result["cpu_ms_per_message"] = cpu_per_message(cpu, load.count)
        return {**result, **profile.result()}
    finally:
        for process in [*processes, *workers, platform.process]:
            stop(process)
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--modes", default="queued,naive")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (queued)")
    parser.add_argument("--no-kill", action="store_true", help="do not kill a worker")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy one web and one worker process"
    )
    parser.add_argument("--role", choices=sorted(ROLES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        return ROLES[args.role]()
    upstream = spawn_role("upstream")
    try:
        upstream_url = upstream.stdout.readline().strip()
        modes = args.modes.split(",")
        results = [run_mode(mode, args, upstream, upstream_url) for mode in modes]
    finally:
        stop(upstream)
    print(
        json.dumps(
            {"db": args.db, "rate": args.rate, "seconds": args.seconds, "results": results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
