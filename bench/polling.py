"""Polling benchmark (not a test): how many upstream calls, and how late the pushes.

Part 1 simulates 10,000 parcels with realistic lifecycles on a simulated clock — pickup in
the afternoon and evening, hub scans mostly at night and early morning, arrival at the
delivery station before dawn, out for delivery in the morning, delivered hours later; some
stuck, some refused and returned, some problems and failed deliveries, some never scanned —
and runs the real `bot.subscriptions.schedule.next_poll_at` against fixed 20-minute,
30-minute and 2-hour polling (same stop rules for all), and against Kuaidi100's push
(`bench/polling_push.py`: one registration, scans arriving after `--push-delay`, a check
poll per silent day). It prints upstream calls per parcel
and p50/p95 lag from an event's time to its push, for all events and for milestones.

Part 2 measures one real poll round (`Poller.run_round` + `PushQueue.flush`) with 100,000
active subscriptions of which 1,000 are due: database time on a SQLite file (and PostgreSQL
when `BENCH_PG_URL` or the test server answers) and the worker's memory.

    .venv/bin/python bench/polling.py [--parcels 10000] [--min-interval 900] [--skip-db]
"""

from __future__ import annotations

import argparse
import bisect
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.polling_push import simulate_push  # noqa: E402
from bot.clock import CHINA_TZ  # noqa: E402
from bot.subscriptions.poller import BATCH as POLLER_BATCH  # noqa: E402
from bot.subscriptions.schedule import (  # noqa: E402
    Policy,
    PollState,
    next_poll_at,
    stop_reason,
)
from bot.tracking import MILESTONES, Status  # noqa: E402

START = datetime(2026, 3, 2, tzinfo=CHINA_TZ)
HOUR = 3600.0


@dataclass
class Event:
    """One scan: seconds since START, status after it, text, milestone?"""

    t: float
    status: Status
    text: str
    milestone: bool


def at_local(day: float, hour: float) -> float:
    """Seconds since START of local `hour` on day `day`."""
    return day * 86400 + hour * HOUR


def next_window(t: float, start_h: float, end_h: float, rng: random.Random) -> float:
    """A random time in the next local [start_h, end_h) window at or after `t`."""
    day = int(t // 86400)
    for d in (day, day + 1, day + 2):
        lo, hi = at_local(d, start_h), at_local(d, end_h)
        if hi > t:
            return rng.uniform(max(lo, t), hi)
    return t  # pragma: no cover


def night_scan(t: float, rng: random.Random) -> float:
    """Hub scans: mostly 22:00–05:00 and early morning, some during the day."""
    if rng.random() < 0.75:
        return next_window(t + 4 * HOUR, 22, 29, rng)
    return t + rng.uniform(3, 9) * HOUR


def lifecycle(rng: random.Random) -> tuple[float, list[Event]]:
    """(subscribe time, events) for one simulated parcel."""
    order = rng.uniform(0, 7 * 86400)
    pickup = next_window(order + rng.uniform(0.5, 20) * HOUR, 13, 21, rng)
    subscribed_before = rng.random() < 0.4
    subscribe = (
        order + rng.uniform(0.1, 2) * HOUR
        if subscribed_before
        else pickup + rng.uniform(0.2, 6) * HOUR
    )
    kind = rng.random()
    if kind < 0.05:  # never scanned
        return min(subscribe, order + HOUR), []
    events = [Event(pickup, Status.IN_TRANSIT, "【始发地】已揽收", True)]
    t = pickup
    for hub in range(rng.choice((1, 2, 2, 3, 4))):
        t = night_scan(t, rng)
        events.append(Event(t, Status.IN_TRANSIT, f"到达【{hub}号转运中心】", False))
        t += rng.uniform(1, 4) * HOUR
        events.append(Event(t, Status.IN_TRANSIT, f"离开【{hub}号转运中心】", False))
        if kind < 0.10 and hub == 0:  # stuck for good
            return subscribe, events
        if kind < 0.12 and hub == 0:  # problem parcel, moves again a day later
            t += rng.uniform(2, 10) * HOUR
            events.append(Event(t, Status.PROBLEM, "疑难件：地址不详", True))
            t += 24 * HOUR
            events.append(Event(t, Status.IN_TRANSIT, "问题已处理，继续运输", False))
    t = next_window(t + 2 * HOUR, 4.5, 7, rng)
    events.append(Event(t, Status.IN_TRANSIT, "快件已到达【西湖营业部】", False))
    out = max(t + 600, at_local(t // 86400, 0) + rng.gauss(8.5, 0.7) * HOUR)
    events.append(Event(out, Status.OUT_FOR_DELIVERY, "快递员正在派件", True))
    end = out + rng.lognormvariate(0.8, 0.6) * HOUR
    if kind < 0.14:  # delivery failed, out again the next morning
        events.append(Event(end, Status.DELIVERY_FAILED, "派送失败：电话无人接听", True))
        out = next_window(end + 12 * HOUR, 8, 10, rng)
        events.append(Event(out, Status.OUT_FOR_DELIVERY, "快递员正在派件", True))
        end = out + rng.lognormvariate(0.8, 0.6) * HOUR
    if kind < 0.17:  # refused, returned
        events.append(Event(end, Status.REFUSED, "收件人拒收", True))
        back = end + rng.uniform(2, 4) * 86400
        events.append(Event(back, Status.RETURNED, "退回件已签收", True))
        return subscribe, events
    events.append(Event(end, Status.DELIVERED, "已签收", True))
    return subscribe, events


def observed(events: list[Event], times: list[float], t: float) -> int:
    """How many events the upstream shows at `t`."""
    return bisect.bisect_right(times, t)


def simulate(subscribe: float, events: list[Event], strategy, rng: random.Random):
    """Poll one parcel until a stop rule fires; (calls, lags of all events, of milestones)."""
    times = [e.t for e in events]
    seen = observed(events, times, subscribe)
    created = START + timedelta(seconds=subscribe)
    last_change = created
    t, calls = subscribe, 0
    lags, milestone_lags = [], []
    horizon = subscribe + 30 * 86400
    while t < horizon:
        calls += 1
        shown = observed(events, times, t)
        now = START + timedelta(seconds=t)
        for event in events[seen:shown]:
            lags.append(t - event.t)
            is_milestone = event.milestone or event.status in MILESTONES
            if is_milestone:
                milestone_lags.append(t - event.t)
        if shown > seen:
            last_change = now
        seen = shown
        latest = events[shown - 1] if shown else None
        state = PollState(
            status=latest.status if latest else Status.NO_RECORD,
            created_at=created,
            last_event_at=START + timedelta(seconds=latest.t) if latest else None,
            last_change_at=last_change,
            last_text=latest.text if latest else "",
            has_events=bool(shown),
        )
        nxt = strategy(state, now, rng)
        if nxt is None:
            break
        t = (nxt - START).total_seconds()
    return calls, lags, milestone_lags


def fixed(seconds: float):
    """Poll every `seconds`, with the same stop rules as ours."""

    def strategy(state: PollState, now: datetime, rng: random.Random):
        if stop_reason(state, now) is not None:
            return None
        return now + timedelta(seconds=seconds)

    return strategy


def ours(min_interval: float):
    """The bot's schedule."""
    policy = Policy(min_interval=min_interval)
    return lambda state, now, rng: next_poll_at(state, now, rng, policy)


def pct(values: list[float], q: float) -> float:
    """The q-quantile in minutes."""
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[int(q * 100) - 1] / 60


def part1(parcels: int, min_interval: float, push_delay: float = 900.0) -> None:
    """Calls per parcel and lags for each strategy, on one shared population."""
    rng = random.Random(2026)
    population = [lifecycle(rng) for _ in range(parcels)]
    strategies = [
        ("fixed 20 min", fixed(1200)),
        ("fixed 30 min", fixed(1800)),
        ("fixed 2 h", fixed(7200)),
        (f"ours (min {min_interval / 60:.0f} min)", ours(min_interval)),
    ]
    if min_interval != 1800:
        strategies.append(("ours (min 30 min)", ours(1800)))
    print(f"Part 1: {parcels} simulated parcels")
    header = f"{'strategy':<22}{'calls/parcel':>13}{'p50 all':>9}{'p95 all':>9}"
    print(header + f"{'p50 milestone':>15}{'p95 milestone':>15}   (lags in minutes)")
    for name, strategy in strategies:
        sim_rng = random.Random(7)
        calls, lags, miles = 0, [], []
        for subscribe, events in population:
            c, all_lags, milestone_lags = simulate(subscribe, events, strategy, sim_rng)
            calls += c
            lags += all_lags
            miles += milestone_lags
        print(
            f"{name:<22}{calls / parcels:>13.1f}{pct(lags, 0.5):>9.1f}{pct(lags, 0.95):>9.1f}"
            f"{pct(miles, 0.5):>15.1f}{pct(miles, 0.95):>15.1f}"
        )
    calls, lags, miles = 0, [], []
    for subscribe, events in population:
        c, all_lags, milestone_lags = simulate_push(subscribe, events, START, push_delay)
        calls += c
        lags += all_lags
        miles += milestone_lags
    name = f"push ({push_delay / 60:.0f} min delay)"
    print(
        f"{name:<22}{calls / parcels:>13.1f}{pct(lags, 0.5):>9.1f}{pct(lags, 0.95):>9.1f}"
        f"{pct(miles, 0.5):>15.1f}{pct(miles, 0.95):>15.1f}"
    )


def part2(url: str, label: str, batch: int, total: int = 100_000, due: int = 1_000) -> None:
    """One round over `total` active subscriptions, `due` of them due, claimed and written
    `batch` parcels at a time; time, CPU and memory."""
    from sqlalchemy import insert

    from bot.carriers import default_registry
    from bot.clock import FakeClock
    from bot.lookup import Lookup
    from bot.models import TrackingEvent
    from bot.runtime.metrics import Metrics
    from bot.runtime.outbox import DurableOutbox
    from bot.storage import open_database
    from bot.storage.conversation import ConversationStore
    from bot.subscriptions.poller import Poller
    from bot.subscriptions.pushes import PushQueue
    from bot.subscriptions.schema import parcels, subscriptions
    from bot.tracking import TrackResult

    now = datetime(2026, 3, 2, 2, tzinfo=UTC)
    clock = FakeClock(now)
    db = open_database(url)
    old = '[{"time": "2026-03-01T20:00:00+08:00", "text": "已揽收"}]'
    with db.engine.begin() as conn:
        for start in range(0, total, 10_000):
            rows, subs = [], []
            for i in range(start, start + 10_000):
                is_due = i % (total // due) == 0
                when = now - timedelta(minutes=1) if is_due else now + timedelta(hours=6)
                rows.append(
                    {
                        "id": i + 1,
                        "number": f"YT{i:013d}",
                        "carrier": "yuantong",
                        "vendor_code": "yuantong",
                        "state": "active",
                        "status": 2,
                        "events": old,
                        "last_change_at": now,
                        "created_at": now,
                        "next_poll_at": when,
                    }
                )
                subs.append(
                    {
                        "parcel_id": i + 1,
                        "platform": "test",
                        "chat_id": f"c{i % 20_000}",
                        "user_id": f"u{i % 20_000}",
                        "is_group": False,
                        "language": "zh",
                        "label": "",
                        "milestones_only": False,
                        "state": "active",
                        "seen_events": "[]",
                        "seen_status": 2,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            conn.execute(insert(parcels), rows)
            conn.execute(insert(subscriptions), subs)

    class Instant:
        """An in-process provider: every poll brings one new scan (worst case for writes)."""

        stats: dict = {}

        def track(self, number, carrier=None, tail=None, *, fresh=False):
            event = TrackingEvent(now - timedelta(minutes=5), "快件已到达【西湖营业部】")
            return TrackResult(number, "yuantong", "圆通", Status.IN_TRANSIT, (event,))

    provider = Instant()
    lookup = Lookup(provider, default_registry(), ConversationStore(db, clock))
    window = 5.0  # PushQueue's default batching window
    pushes = PushQueue(db, clock, DurableOutbox(db, clock, Metrics()), lookup, window=window)
    poller = Poller(db, clock, provider, pushes, round_limit=10_000, batch=batch)
    tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    report = poller.run_round()
    # The round flushes what is due between its batches; the rest is due once the window
    # has passed, which the fake clock reaches through the horizon.
    sent = report.pushes + pushes.flush(now + timedelta(seconds=window))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label:<12} batch {batch:>4}  polled {report.polled:>5}  pushes {sent:>5}  "
        f"round {elapsed:6.2f} s ({elapsed / max(1, report.polled) * 1000:.2f} ms/number; "
        f"this process's CPU {cpu:.2f} s)  peak traced {peak / 1e6:.1f} MB  max RSS {rss:.0f} MB"
    )
    db.dispose()


def main() -> None:
    """Run both parts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--min-interval", type=float, default=900.0)  # the setting's default
    parser.add_argument("--skip-db", action="store_true")
    # Kuaidi100 does not publish its push delay: seconds assumed from scan to callback.
    parser.add_argument("--push-delay", type=float, default=900.0)
    parser.add_argument("--round-only", action="store_true", help="part 2 only")
    # 1 is the per-number baseline (a claim and a write transaction per parcel); the
    # poller's default batch writes a batch's answers and changes in one transaction.
    parser.add_argument("--batches", default=f"1,{POLLER_BATCH}", help="claim sizes to run")
    args = parser.parse_args()
    if not args.round_only:
        started = time.perf_counter()
        part1(args.parcels, args.min_interval, args.push_delay)
        print(f"(simulated in {time.perf_counter() - started:.0f} s)\n")
    if args.skip_db:
        return
    print("Part 2: one round, 100,000 active subscriptions, 1,000 due")
    pg = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    for batch in [int(b) for b in args.batches.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            part2(f"sqlite:///{tmp}/bench.sqlite3", "SQLite file", batch)
        try:
            part2_pg(pg, batch)
        except Exception as exc:  # noqa: BLE001 - PostgreSQL is optional here
            print(f"PostgreSQL    skipped ({type(exc).__name__}: {exc})")


def part2_pg(url: str, batch: int) -> None:
    """Part 2 in a throwaway schema of the PostgreSQL server at `url`."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{os.getpid()}"
    admin = create_engine(url, connect_args={"connect_timeout": 3})
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        part2(f"{url}?options=-csearch_path%3D{schema}", "PostgreSQL", batch)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
