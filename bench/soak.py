"""Soak: the scale-out bot under steady signed load while its parts are broken on purpose.

Runs on 127.0.0.1, each part private to this run (nothing else on a shared machine is
touched):
- a database `soak_<random>` on the PostgreSQL server (dropped afterwards) and a
  `redis-server` of its own on a free port;
- the web app under gunicorn (2 processes × 8 threads, as in the Procfile) and 2 workers,
  both built by the real composition root (bench/soak_roles.py): engine, upstream client
  with its Redis cache, inbox/outbox on PostgreSQL;
- bench/gateway.py's fake upstream (1.5 s per answer) behind a loopback TCP proxy, its fake
  platform API (keyed like Feishu's `uuid`) and its open-loop signed load generator, which
  re-delivers a webhook not answered within 3 s (twice at most).

Meanwhile, at fixed fractions of the run: SIGKILL worker 0 (restarted), terminate every
PostgreSQL backend of the bot's database, stop Redis for 5 s and start it again, cut the
upstream for 20 s, SIGKILL worker 1 (restarted). Then wait for the replies to drain.

    .venv/bin/python bench/soak.py --minutes 5 [--rate 5]

Reports messages sent, answered, lost, answered twice (visible messages beyond one per
message on the keyed platform; raw re-sends of a key are counted apart: they are what an
unkeyed platform would show), the longest delay from a message to its reply, and RSS growth
per bot process from its warm-up to the end; the last line is
`soak: sent=N answered=N lost=N dup=N max_delay_s=X rss_growth_pct=Y`. Exits 1 on a lost
message, a visible duplicate, or a fault that could not be made.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import gateway as gw  # noqa: E402
from bench import processes as proc  # noqa: E402
from bench.soak_services import PrivateDatabase, PrivateRedis, TcpProxy  # noqa: E402

#: The runtime's claim lease (bot.runtime.runtime) and the lookup deadline (KUAIDI_DEADLINE):
#: a killed worker's message is answered within about their sum.
LEASE_SECONDS = 30.0
DEADLINE_SECONDS = 15.0
UPSTREAM_CUT_SECONDS = 20.0
REDIS_DOWN_SECONDS = 5.0


def rss_kb(pid: int) -> int | None:
    """Resident memory of a process in KiB, or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """Direct children of `pid` (gunicorn's worker processes)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Memory:
    """RSS of the bot's processes every few seconds; growth from warm-up to the last sample."""

    def __init__(self, warmup: float) -> None:
        self.warmup = warmup
        self.roots: dict[int, str] = {}
        self.samples: dict[int, list[tuple[float, int, str]]] = {}
        self._stop = threading.Event()

    def track(self, pid: int, name: str, *, with_children: bool = False) -> None:
        """Sample `pid` (or, for a master process, its children) from now on."""
        self.roots[pid] = f"{name}+" if with_children else name

    def start(self) -> None:
        """Sample every 2 s in a thread until `stop()`."""
        threading.Thread(target=self._run, daemon=True).start()

    def stop(self) -> None:
        """Take a last sample and stop sampling."""
        self._stop.set()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(2.0):
            self.sample()

    def sample(self) -> None:
        """One reading of every tracked process."""
        now = time.monotonic()
        for root, name in list(self.roots.items()):
            pids = children(root) if name.endswith("+") else [root]
            for index, pid in enumerate(pids):
                if (rss := rss_kb(pid)) is not None:
                    label = f"{name.rstrip('+')}{index if name.endswith('+') else ''}"
                    self.samples.setdefault(pid, []).append((now, rss, label))

    def growth(self, alive: set[int]) -> dict[str, dict]:
        """Per process still alive at the end: RSS after warm-up, at the end, growth %."""
        report = {}
        for pid, samples in self.samples.items():
            if pid not in alive or len(samples) < 2:
                continue
            first = samples[0][0]
            warm = next((s for s in samples if s[0] - first >= self.warmup), None)
            if warm is None or warm is samples[-1]:
                continue  # too young to say (a worker restarted near the end)
            end = samples[-1]
            report[f"{end[2]}[{pid}]"] = {
                "rss_mb_warm": round(warm[1] / 1024, 1),
                "rss_mb_end": round(end[1] / 1024, 1),
                "growth_pct": round(100 * (end[1] - warm[1]) / warm[1], 1),
            }
        return report


class Bot:
    """The bot's processes: the web app under gunicorn and two workers."""

    def __init__(self, env: dict[str, str], logs: Path, memory: Memory) -> None:
        self.env, self.logs, self.memory = env, logs, memory
        self.port = proc.free_port()
        log = open(logs / "web.log", "ab")  # noqa: SIM115 - the child process owns it
        app = "bench.soak_roles:web_app()"
        self.web = proc.gunicorn(app, self.port, 8, env, stdout=log, stderr=log)
        memory.track(self.web.pid, "web", with_children=True)
        self.workers = [self._worker(n) for n in range(2)]

    def _worker(self, n: int):
        log = open(self.logs / f"worker{n}.log", "ab")  # noqa: SIM115 - the child owns it
        args = ["nice", "-n", "10", sys.executable, __file__, "--role", "worker"]
        process = proc.spawn(args, self.env, stdout=log, stderr=log)
        self.memory.track(process.pid, f"worker{n}")
        return process

    def kill_worker(self, n: int) -> None:
        """SIGKILL worker `n` (its claims are left to their leases) and start another."""
        os.kill(self.workers[n].pid, signal.SIGKILL)
        self.workers[n].wait()
        self.workers[n] = self._worker(n)

    def alive(self) -> set[int]:
        """Pids of every bot process running now."""
        return {*children(self.web.pid), *(w.pid for w in self.workers if w.poll() is None)}

    def stop(self) -> None:
        """Stop the workers, then the web app."""
        for process in [*self.workers, self.web]:
            proc.stop(process)


def faults(bot: Bot, db: PrivateDatabase, redis: PrivateRedis, proxy: TcpProxy):
    """(fraction of the run, what is done then, the action) for the fault schedule; the
    outages end on timers of their own, so the schedule keeps its pace."""

    def cut_upstream() -> None:
        proxy.cut()
        threading.Timer(UPSTREAM_CUT_SECONDS, proxy.restore).start()

    def bounce_redis() -> None:
        redis.stop()
        threading.Timer(REDIS_DOWN_SECONDS, redis.start).start()

    return [
        (0.10, "SIGKILL worker 0", lambda: bot.kill_worker(0)),
        (0.25, "terminate every PostgreSQL backend", lambda: f"{db.terminate_backends()} cut"),
        (0.40, f"stop Redis for {REDIS_DOWN_SECONDS:.0f} s", bounce_redis),
        (0.55, f"cut the upstream for {UPSTREAM_CUT_SECONDS:.0f} s", cut_upstream),
        (0.75, "SIGKILL worker 1", lambda: bot.kill_worker(1)),
    ]


def run_faults(schedule, seconds: float, log: list[dict]) -> threading.Thread:
    """Run each fault at its moment, in a thread; what happened goes to `log`."""
    started = time.monotonic() + 0.5  # the load generator's own start offset

    def run() -> None:
        for fraction, name, action in schedule:
            time.sleep(max(0.0, started + fraction * seconds - time.monotonic()))
            at = round(time.monotonic() - started, 1)
            try:
                result = action()
            except Exception as exc:  # noqa: BLE001 - a fault not made is reported, not fatal
                result = f"not made: {type(exc).__name__}: {exc}"
            log.append({"at_s": at, "fault": name, **({"result": result} if result else {})})

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def summarise(load: gw.Load, platform: gw.Platform) -> dict:
    """Counts and delays from what the fake platform received."""
    sends, visible = platform.records()
    first: dict[int, float] = {}
    errors = set()
    for send in sends:
        i = int(send.idempotency_key.split(":")[1])
        first[i] = min(first.get(i, send.at), send.at)
        if not send.text.startswith("YT"):  # a sentence instead of a card's number
            errors.add(i)
    delays = [first[i] - load.due[i] for i in first]
    return {
        "sent": load.count,
        "answered": len(first),
        "answered_with_an_error_sentence": len(errors),
        "lost": load.count - len(first),
        "dup": visible - len(first),
        "resends_raw": len(sends) - visible,
        "never_acknowledged": sum(1 for v in load.first_ack.values() if v is None),
        "redeliveries": sum(load.deliveries.values()) - load.count,
        "max_delay_s": round(max(delays), 1) if delays else None,
        "delay_bound_s": LEASE_SECONDS + DEADLINE_SECONDS,
    }


def bot_env(db: PrivateDatabase, redis: PrivateRedis, proxy: TcpProxy, platform_url: str):
    """The environment of the web and worker processes (settings from it alone)."""
    return {
        "DATABASE_URL": db.url,
        "REDIS_URL": redis.url,
        "KUAIDI_APPCODE": "soak-appcode",
        "KUAIDI_API_BASE": proxy.url,
        "KUAIDI_DEMO": "0",
        "KUAIDI_POLLER": "0",
        "KUAIDI_RATE_LIMIT": "1000",  # the plan's limit is not what this measures
        "KUAIDI_DEADLINE": str(DEADLINE_SECONDS),
        # 8 handler threads per worker answer 5 messages/s against a 1.5 s upstream with room
        # to spare, and keep this run's share of the shared server's connections small.
        "WORKER_THREADS": "8",
        "SENDER_THREADS": "2",
        "DATA_DIR": tempfile.mkdtemp(prefix="soak-data-"),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "BENCH_PLATFORM_URL": platform_url,
    }


def soak(minutes: float, rate: float) -> dict:
    """Set everything up, run the load and the faults, drain, report, tear down."""
    from bot.storage import open_database

    seconds = minutes * 60
    logs = Path(tempfile.mkdtemp(prefix="soak-logs-"))
    db, redis = PrivateDatabase(), PrivateRedis(proc.free_port())
    upstream = platform = bot = proxy = None
    try:
        redis.start()
        upstream = gw.spawn_role("upstream")
        proxy = TcpProxy(int(upstream.stdout.readline().strip().rsplit(":", 1)[1]))
        platform = gw.Platform()
        open_database(db.url).dispose()  # the schema, once, before the processes race
        memory = Memory(warmup=min(60.0, seconds / 4))
        bot = Bot(bot_env(db, redis, proxy, platform.url), logs, memory)
        proc.wait_http(f"http://127.0.0.1:{bot.port}/healthz")
        time.sleep(2.0)  # let the workers open their pools
        load = gw.Load(f"http://127.0.0.1:{bot.port}/webhook/testing", rate, seconds, 16)
        events: list[dict] = []
        memory.start()
        breaker = run_faults(faults(bot, db, redis, proxy), seconds, events)
        load.run()
        breaker.join()
        gw.drain(platform, load.count, idle_seconds=LEASE_SECONDS + DEADLINE_SECONDS, cap=300)
        memory.stop()
        report = {**summarise(load, platform), "faults": events}
        report["left_over"] = gw.backlog(db.url)
        report["rss"] = memory.growth(bot.alive())
        report["logs"] = str(logs)
        return report
    finally:
        if bot is not None:
            bot.stop()
        if proxy is not None:
            proxy.close()
        for process in (platform.process if platform else None, upstream):
            proc.stop(process)
        redis.stop()
        db.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=5.0, help="messages per second")
    parser.add_argument("--role", choices=["worker"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "worker":
        from bench.soak_roles import worker_main

        worker_main()
        return 0
    report = soak(args.minutes, args.rate)
    missed = [e for e in report["faults"] if str(e.get("result", "")).startswith("not made")]
    growth = max((p["growth_pct"] for p in report["rss"].values()), default=0.0)
    report["rss_growth_pct_max"] = growth
    print(json.dumps({"minutes": args.minutes, "rate": args.rate, **report}, indent=2))
    print(
        f"soak: sent={report['sent']} answered={report['answered']} lost={report['lost']} "
        f"dup={report['dup']} max_delay_s={report['max_delay_s']} rss_growth_pct={growth}"
    )
    return 1 if report["lost"] or report["dup"] or missed else 0


if __name__ == "__main__":
    sys.exit(main())
