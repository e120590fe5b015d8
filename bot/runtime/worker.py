"""The worker: claims inbox rows and runs the core handler on a pool of threads.

A `ClaimPool` (bot/runtime/pool.py) claims only as many rows as there are idle handler threads
and renews the leases of the running ones. Each row runs under its delivery id (in every log
line), and ends either done (replies in the outbox, same transaction) or failed (retried with
backoff, then parked): whatever raised, the handler, the payload's decoding or the write of
the replies, so no row is left to run out its lease again and again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from bot.models import Incoming, Reply
from bot.runtime.inbox import DurableInbox, InboxItem
from bot.runtime.leases import LeaseLost
from bot.runtime.logs import bind_delivery
from bot.runtime.metrics import Metrics
from bot.runtime.pool import ClaimPool

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
        lease_seconds: float = 30.0,
    ) -> None:
        self.inbox = inbox
        self.handler = handler
        self.metrics = metrics
        self.owner = owner
        self.lease_seconds = lease_seconds

    def process_pending(self, limit: int = 100) -> int:
        """Handle due rows in this thread until none are left or `limit` is reached.

        One row is claimed at a time: nothing renews leases here, so a claimed batch would
        outlive its lease behind a few slow upstream answers."""
        handled = 0
        while handled < limit:
            items = self.inbox.claim(self.owner, 1, self.lease_seconds)
            if not items:
                break
            self.handle(items[0])
            handled += 1
        return handled

    def handle(self, item: InboxItem) -> str:
        """Run the handler on one claimed row and finish it; return the outcome."""
        with bind_delivery(item.platform, item.delivery_id):
            outcome = self._handle(item)
        self.metrics.inc("handled", platform=item.platform, outcome=outcome)
        return outcome

    def _handle(self, item: InboxItem) -> str:
        if item.message is None:
            log.error("cannot read the stored delivery: %s", item.unreadable)
            return self._fail(item, item.unreadable, "unreadable")
        try:
            replies = list(self.handler(item.message))
        except Exception as exc:  # noqa: BLE001 - a failing message must not stop the worker
            log.exception("handler failed on attempt %d", item.attempts)
            return self._fail(item, f"{type(exc).__name__}: {exc}", "handler_error")
        try:
            self.inbox.complete(item, replies)
        except LeaseLost:
            log.warning("lease lost before finishing; another worker owns the delivery now")
            return "lease_lost"
        except Exception as exc:  # noqa: BLE001 - e.g. a reply the database refuses
            log.exception("could not record the replies")
            return self._fail(item, f"{type(exc).__name__}: {exc}", "store_error")
        return "done"

    def _fail(self, item: InboxItem, error: str, reason: str) -> str:
        """Record the failure (retry later or park); "error" when even that cannot be written
        (the lease then runs out, and the claim has counted the attempt)."""
        try:
            parked = self.inbox.fail(item, error, reason)
        except Exception:  # noqa: BLE001
            log.exception("could not record the failure")
            return "error"
        if parked:
            log.error("delivery parked after %d attempts (%s)", item.attempts, reason)
        return "parked" if parked else "retry"


class WorkerPool(ClaimPool):
    """A dispatcher thread feeding `threads` handler threads with claimed inbox rows."""

    def __init__(
        self,
        worker: InboxWorker,
        threads: int,
        poll_interval: float,
        wakeup: threading.Event,
        monotonic: Callable[[], float],
    ) -> None:
        lease = worker.lease_seconds
        super().__init__(
            "inbox-worker",
            lambda limit: worker.inbox.claim(worker.owner, limit, lease),
            worker.handle,
            lambda items: worker.inbox.extend(items, lease),
            threads=threads,
            lease_seconds=lease,
            poll_interval=poll_interval,
            wakeup=wakeup,
            monotonic=monotonic,
        )
        self.worker = worker
