"""The worker: claims inbox rows and runs the core handler on a pool of threads.

A single dispatcher thread claims only as many rows as there are idle handler threads, so an
idle process costs one small query per poll, and rows it cannot start yet stay free for other
processes. Each row runs under its delivery id (in every log line), and ends either done
(replies in the outbox, same transaction) or failed (retried with backoff, then parked).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from bot.models import Incoming, Reply
from bot.runtime.inbox import DurableInbox, InboxItem
from bot.runtime.leases import LeaseLost
from bot.runtime.logs import bind_delivery
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

Handler = Callable[[Incoming], Iterable[Reply]]


class InboxWorker:
    """Runs `handler` on claimed inbox rows, synchronously or on threads."""

    def __init__(
        self,
        inbox: DurableInbox,
        handler: Handler,
        metrics: Metrics,
        owner: str,
        *,
        lease_seconds: float = 120.0,
    ) -> None:
        self.inbox = inbox
        self.handler = handler
        self.metrics = metrics
        self.owner = owner
        self.lease_seconds = lease_seconds

    def process_pending(self, limit: int = 100) -> int:
        """Handle due rows in this thread until none are left or `limit` is reached."""
        handled = 0
        while handled < limit:
            items = self.inbox.claim(self.owner, min(50, limit - handled), self.lease_seconds)
            if not items:
                break
            for item in items:
                self.handle(item)
                handled += 1
        return handled

    def handle(self, item: InboxItem) -> str:
        """Run the handler on one claimed row and finish it; return the outcome."""
        with bind_delivery(item.platform, item.delivery_id):
            outcome = self._handle(item)
        self.metrics.inc("handled", platform=item.platform, outcome=outcome)
        return outcome

    def _handle(self, item: InboxItem) -> str:
        try:
            replies = list(self.handler(item.message))
        except Exception as exc:  # noqa: BLE001 - a failing message must not stop the worker
            log.exception("handler failed on attempt %d", item.attempts)
            parked = self.inbox.fail(item, f"{type(exc).__name__}: {exc}")
            if parked:
                log.error("delivery parked after %d attempts", item.attempts)
            return "parked" if parked else "retry"
        try:
            self.inbox.complete(item, replies)
        except LeaseLost:
            log.warning("lease lost before finishing; another worker owns the delivery now")
            return "lease_lost"
        except Exception:  # noqa: BLE001 - the row is retried when its lease expires
            log.exception("could not record the replies")
            return "error"
        return "done"


class WorkerPool:
    """A dispatcher thread feeding `threads` handler threads with claimed rows."""

    def __init__(
        self, worker: InboxWorker, threads: int, poll_interval: float, wakeup: threading.Event
    ) -> None:
        self.worker = worker
        self.threads = threads
        self.poll_interval = poll_interval
        self.wakeup = wakeup
        self._stop = threading.Event()
        self._idle = threading.Semaphore(threads)
        # Rows being handled here: their leases are renewed while the handler runs, so only
        # a dead process loses its rows, never a slow but healthy one.
        self._running: dict[int, InboxItem] = {}
        self._running_lock = threading.Lock()
        self._next_renewal = 0.0
        self._executor: ThreadPoolExecutor | None = None
        self._dispatcher: threading.Thread | None = None

    def start(self) -> None:
        """Start the dispatcher and the handler threads."""
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="inbox-worker")
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop, name="inbox-dispatch", daemon=True
        )
        self._dispatcher.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let running handlers finish (rows not started stay pending)."""
        self._stop.set()
        self.wakeup.set()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout)
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            self._renew_leases()
            free = self._take_idle_slots()
            if free == 0:
                continue
            try:
                items = self.worker.inbox.claim(self.worker.owner, free, self.worker.lease_seconds)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
                log.exception("claiming inbox rows failed")
                items = []
            for _ in range(free - len(items)):
                self._idle.release()
            for item in items:
                with self._running_lock:
                    self._running[item.row_id] = item
                self._executor.submit(self._run, item)
            if not items:
                self.wakeup.wait(self.poll_interval)
                self.wakeup.clear()

    def _renew_leases(self) -> None:
        """Every third of a lease, push the running rows' leases forward."""
        now = time.monotonic()
        if now < self._next_renewal:
            return
        lease = self.worker.lease_seconds
        self._next_renewal = now + lease / 3
        with self._running_lock:
            running = list(self._running.values())
        try:
            self.worker.inbox.extend(running, lease)
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("renewing leases failed")

    def _take_idle_slots(self) -> int:
        """Wait briefly for one idle thread, then take every idle one."""
        if not self._idle.acquire(timeout=self.poll_interval):
            return 0
        taken = 1
        while self._idle.acquire(blocking=False):
            taken += 1
        return taken

    def _run(self, item: InboxItem) -> None:
        try:
            self.worker.handle(item)
        except Exception:  # noqa: BLE001 - keep the pool alive whatever happens
            log.exception("unexpected error handling inbox row %s", item.row_id)
        finally:
            with self._running_lock:
                self._running.pop(item.row_id, None)
            self._idle.release()
