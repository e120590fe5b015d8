"""A claim pool: one dispatcher thread claiming queue rows for a pool of threads that work them.

The dispatcher claims only as many rows as there are idle threads, so rows it cannot start yet
stay free for other processes, and every claimed row starts at once. Claims are gathered: under
load, threads free up one by one, and claiming for each separately would cost a full claim
transaction (a scan of the queue's pending heads) per row; instead the dispatcher waits up to
`gather_seconds` for a batch of idle threads before claiming for all of them, and after a
claim that found fewer due rows than it asked for it waits for a wakeup (rows enqueued in this
process) or `poll_interval`, never less than the gather window. An idle pool costs one small
query per `poll_interval`. Leases of running rows are renewed every third of a
lease, so only a dead process loses its rows, never a slow but healthy one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

log = logging.getLogger(__name__)

#: Claim for this many idle threads at once when that many are free within the gather window.
CLAIM_BATCH = 16
#: The longest a free thread waits for others before a claim is made for it (adds at most this
#: to a message's latency under load; an idle pool claims at once).
GATHER_SECONDS = 0.02


class ClaimedRow(Protocol):
    """What the pool needs to know of a claimed row."""

    row_id: int


class ClaimPool:
    """A dispatcher thread feeding `threads` threads with claimed rows."""

    def __init__(
        self,
        name: str,
        claim: Callable[[int], Sequence[Any]],
        work: Callable[[Any], object],
        renew: Callable[[Sequence[Any]], object],
        *,
        threads: int,
        lease_seconds: float,
        poll_interval: float,
        wakeup: threading.Event,
        gather_seconds: float = GATHER_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._claim, self._work, self._renew = claim, work, renew
        self.threads = threads
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.wakeup = wakeup
        self.gather_seconds = gather_seconds
        self._monotonic = monotonic  # the runtime's clock: leases run on it
        self._stop = threading.Event()
        self._idle = threading.Semaphore(threads)
        self._running: dict[int, Any] = {}
        self._running_lock = threading.Lock()
        self._next_renewal = 0.0
        self._executor: ThreadPoolExecutor | None = None
        self._dispatcher: threading.Thread | None = None

    def start(self) -> None:
        """Start the dispatcher and the pool's threads."""
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix=self.name)
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop, name=f"{self.name}-dispatch", daemon=True
        )
        self._dispatcher.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let running rows finish (rows not started stay pending).

        Running rows keep their leases while they finish: the dispatcher renewed them until
        now, and this thread takes over, or a slow last row would be taken by another worker
        (and its upstream query paid twice) while this one is still working on it."""
        self._stop.set()
        self.wakeup.set()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout)
        if self._executor is not None:
            drained = threading.Event()
            executor = self._executor

            def drain() -> None:
                executor.shutdown(wait=True, cancel_futures=True)
                drained.set()

            threading.Thread(target=drain, name=f"{self.name}-drain", daemon=True).start()
            while not drained.wait(min(0.2, self.lease_seconds / 6)):
                self._renew_leases()

    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            self._renew_leases()
            free = self._take_idle_slots()
            if free == 0:
                continue
            # Cleared before the claim, so a wakeup arriving during it is not lost.
            self.wakeup.clear()
            try:
                items = list(self._claim(free))
            except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
                log.exception("%s: claiming rows failed", self.name)
                items = []
            for _ in range(free - len(items)):
                self._idle.release()
            for item in items:
                with self._running_lock:
                    self._running[item.row_id] = item
                self._executor.submit(self._run, item)
            if len(items) < free:
                self._wait_for_work()

    def _wait_for_work(self) -> None:
        """No more due rows: wait for a wakeup or the poll interval, but at least the gather
        window, so that a stream of wakeups (one per enqueued row) still batches claims."""
        if self._stop.wait(min(self.gather_seconds, self.poll_interval)):
            return
        self.wakeup.wait(max(0.0, self.poll_interval - self.gather_seconds))

    def _renew_leases(self) -> None:
        """Every third of a lease, push the running rows' leases forward."""
        now = self._monotonic()
        if now < self._next_renewal:
            return
        self._next_renewal = now + self.lease_seconds / 3
        with self._running_lock:
            running = list(self._running.values())
        if not running:
            return
        try:
            self._renew(running)
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("%s: renewing leases failed", self.name)

    def _take_idle_slots(self) -> int:
        """Wait for one idle thread, then gather more for a short while; take them all."""
        if not self._idle.acquire(timeout=self.poll_interval):
            return 0
        taken = 1 + self._take_available()
        target = min(self.threads, CLAIM_BATCH)
        deadline = time.monotonic() + self.gather_seconds
        while taken < target and not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or not self._idle.acquire(timeout=left):
                break
            taken += 1 + self._take_available()
        return taken

    def _take_available(self) -> int:
        taken = 0
        while self._idle.acquire(blocking=False):
            taken += 1
        return taken

    def _run(self, item: Any) -> None:
        try:
            self._work(item)
        except Exception:  # noqa: BLE001 - keep the pool alive whatever happens
            log.exception("%s: unexpected error on row %s", self.name, item.row_id)
        finally:
            with self._running_lock:
                self._running.pop(item.row_id, None)
            self._idle.release()
