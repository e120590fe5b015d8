"""`Runtime`: the inbox, the outbox, the worker and the sender put together.

`kuaidi-bot run` builds one with worker and sender threads and serves the web app in the same
process (SQLite is enough). In a split deployment the web processes build it with
`worker_threads=0, sender_threads=0` (they only accept), and each `kuaidi-bot worker` process
calls `run_worker_forever` on one with threads; PostgreSQL's SKIP LOCKED claims let any number
of them share the queues.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable

from bot.models import Target
from bot.runtime.config import DeliveryPolicy, RuntimePorts, RuntimeThreads
from bot.runtime.inbox import DurableInbox
from bot.runtime.metrics import Metrics, StatsSource, queue_gauges, upstream_gauges
from bot.runtime.outbox import DurableOutbox, parked_counts, parked_rows
from bot.runtime.pool import ClaimPool
from bot.runtime.schema import inbox, outbox
from bot.runtime.sender import OutboxSender
from bot.runtime.shared import SharedState
from bot.runtime.unreachable import UnreachableTargets
from bot.runtime.worker import InboxWorker, WorkerPool
from bot.storage.db import Database

log = logging.getLogger(__name__)

#: Finished rows are kept this long: longer than any platform re-delivers (Telegram ~24 h).
KEEP_DONE_SECONDS = 3 * 24 * 3600.0
#: Sent outbox rows are kept this long, so a push key is not enqueued twice in that time.
KEEP_SENT_SECONDS = 14 * 24 * 3600.0
HOUSEKEEPING_SECONDS = 600.0


class Runtime:
    """Durable inbox and outbox with the threads that drain them.

    Built from three records (`bot.runtime.config`): what it talks to (`RuntimePorts`), how
    many threads drain the queues (`RuntimeThreads`) and how rows are retried
    (`DeliveryPolicy`, production defaults when omitted).
    """

    def __init__(
        self,
        ports: RuntimePorts,
        threads: RuntimeThreads,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        db, clock = ports.db, ports.clock
        policy = policy or DeliveryPolicy()
        self.db = db
        self.clock = clock
        self.metrics = ports.metrics or Metrics()
        self.shared = ports.shared or SharedState.create(db, clock, None)
        default_owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.owner = threads.owner or default_owner
        self.worker_threads = threads.worker_threads
        self.sender_threads = threads.sender_threads
        self.poll_interval = threads.poll_interval
        self._inbox_wakeup = threading.Event()
        self.unreachable = UnreachableTargets(db, clock)
        self.outbox = DurableOutbox(db, clock, self.metrics, policy.hold_seconds)
        self.inbox = DurableInbox(
            db,
            clock,
            self.metrics,
            self.outbox,
            self.unreachable,
            max_attempts=policy.max_attempts,
            hold_seconds=policy.hold_seconds,
            on_accept=self._inbox_wakeup.set,
        )
        self.worker = InboxWorker(
            self.inbox, ports.handler, self.metrics, self.owner, lease_seconds=policy.lease_seconds
        )
        self.sender = OutboxSender(
            self.outbox,
            ports.senders,
            self.shared.buckets,
            self.unreachable,
            clock,
            self.metrics,
            on_unreachable=ports.on_unreachable,
            max_attempts=policy.max_send_attempts,
            lease_seconds=policy.send_lease_seconds,
        )
        self._pool: WorkerPool | None = None
        self._send_pool: ClaimPool | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- synchronous passes (tests, `poll --once`, the console) ---------------------------
    def process_pending(self, limit: int = 100) -> int:
        """Handle due inbox rows in this thread; return how many were handled."""
        return self.worker.process_pending(limit)

    def send_pending(self, limit: int = 100) -> int:
        """Try due outbox rows in this thread (at most `limit` tries); return how many the
        platforms accepted."""
        tried = sent = 0
        while tried < limit:
            claimed, accepted = self.sender.send_pending(self.owner, min(50, limit - tried))
            if claimed == 0:
                break
            tried += claimed
            sent += accepted
        return sent

    def is_unreachable(self, target: Target) -> bool:
        """True when `target` refused a send for good and has not written since."""
        return self.unreachable.contains(target)

    # --- threads --------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker pool and the sender pool (none when their counts are 0)."""
        self._stop.clear()
        if self.worker_threads > 0:
            self._pool = WorkerPool(
                self.worker,
                self.worker_threads,
                self.poll_interval,
                self._inbox_wakeup,
                self.clock.monotonic,
            )
            self._pool.start()
        if self.sender_threads > 0:
            self._send_pool = self._sender_pool()
            self._send_pool.start()
        if self.worker_threads > 0:
            self._spawn(self._housekeeping_loop, "runtime-housekeeping")
        log.info(
            "runtime started owner=%s workers=%d senders=%d",
            self.owner,
            self.worker_threads,
            self.sender_threads,
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; let running handlers and sends finish."""
        self._stop.set()
        self.outbox.wakeup.set()
        for pool in (self._pool, self._send_pool):
            if pool is not None:
                pool.stop(timeout)
        self._pool = self._send_pool = None
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        log.info("runtime stopped owner=%s", self.owner)

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _sender_pool(self) -> ClaimPool:
        """`sender_threads` concurrent sends, each to a different chat's head row."""
        lease = self.sender.lease_seconds
        return ClaimPool(
            "outbox-sender",
            lambda limit: self.outbox.claim(self.owner, limit, lease),
            self.sender.deliver,
            lambda items: self.outbox.extend(items, lease),
            threads=self.sender_threads,
            lease_seconds=lease,
            poll_interval=self.poll_interval,
            wakeup=self.outbox.wakeup,
            monotonic=self.clock.monotonic,
        )

    def _housekeeping_loop(self) -> None:
        while not self._stop.wait(HOUSEKEEPING_SECONDS):
            try:
                self.inbox.purge(KEEP_DONE_SECONDS)
                self.outbox.purge(KEEP_SENT_SECONDS)
            except Exception:  # noqa: BLE001
                log.exception("purging old rows failed")

    # --- observability --------------------------------------------------------------------
    def metrics_text(self, upstream_stats: StatsSource | None = None) -> str:
        """The Prometheus exposition: this process's counters and the queues' gauges."""
        gauges = queue_gauges(
            self.inbox.counts(),
            self.outbox.counts(),
            self.outbox.lag_seconds(),
            self.inbox.oldest_pending_age(),
            self.unreachable.count(),
            {"inbox": self.inbox.parked_by_reason(), "outbox": self.outbox.parked_by_reason()},
        )
        if upstream_stats is not None:
            try:
                gauges.update(upstream_gauges(upstream_stats()))
            except Exception:  # noqa: BLE001 - metrics must render without upstream stats
                log.exception("upstream stats unavailable")
        return self.metrics.render(gauges)


def parked_report(db: Database, limit: int) -> dict[str, tuple[dict[str, int], list[dict]]]:
    """For the admin's /status: per queue, parked rows by reason and the newest `limit`."""
    return {
        "inbox": (parked_counts(db, inbox), parked_rows(db, inbox, inbox.c.delivery_id, limit)),
        "outbox": (
            parked_counts(db, outbox),
            parked_rows(db, outbox, outbox.c.idempotency_key, limit),
        ),
    }


def run_worker_forever(runtime: Runtime, stop: threading.Event | None = None) -> None:
    """Run the runtime's threads until SIGTERM/SIGINT (or `stop` is set), then stop cleanly.

    This is the body of `kuaidi-bot worker`: build a Runtime with worker and sender threads
    and call this. Signal handlers are installed only when called from the main thread.
    """
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    runtime.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        runtime.stop()
