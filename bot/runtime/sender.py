"""Delivering outbox rows through each platform's `Sender`, within its rate limits.

One pass claims the head row of each due chat and tries it once. Every outcome finishes the
row at once (sent, rescheduled or parked), so a restarted sender never repeats a finished
send; a send cut off between the platform's answer and that write is repeated with the same
idempotency key. Waiting, whether for our own buckets or for a platform's retry-after, is a
rescheduled row, never a sleep, so other chats keep moving. The runtime runs `deliver` on a
`ClaimPool`, so sends to different chats overlap (a platform answers in 50–300 ms) while each
chat's rows still leave one at a time, in order. A row whose delivery raises (an unreadable
payload, a failed write) is failed like a refused send: error recorded, retried with backoff,
parked after `max_attempts`; so is a row claimed that often without ever being finished.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from bot.clock import Clock
from bot.models import Target
from bot.runtime.leases import backoff
from bot.runtime.metrics import Metrics
from bot.runtime.outbox import DurableOutbox, OutboxItem
from bot.runtime.ports import Sender, SendResult
from bot.runtime.send_buckets import Buckets, buckets_for
from bot.runtime.unreachable import UnreachableTargets

log = logging.getLogger(__name__)


class OutboxSender:
    """Claims outbox rows and sends them through the platform senders."""

    def __init__(
        self,
        outbox: DurableOutbox,
        senders: Mapping[str, Sender],
        buckets: Buckets,
        unreachable: UnreachableTargets,
        clock: Clock,
        metrics: Metrics,
        *,
        on_unreachable: Callable[[Target], None] | None = None,
        max_attempts: int = 5,
        lease_seconds: float = 60.0,
    ) -> None:
        self.outbox = outbox
        self.senders = dict(senders)
        self.buckets = buckets
        self.unreachable = unreachable
        self.clock = clock
        self.metrics = metrics
        self.on_unreachable = on_unreachable
        self.max_attempts = max_attempts
        self.lease_seconds = lease_seconds

    def send_pending(self, owner: str, limit: int = 50) -> tuple[int, int]:
        """One pass: claim up to `limit` due rows and try each once; (claimed, sent)."""
        items = self.outbox.claim(owner, limit, self.lease_seconds)
        sent = 0
        for item in items:
            try:
                sent += self.deliver(item)
            except Exception:  # noqa: BLE001 - one bad row must not stop the others
                log.exception("outbox row %s could not be finished", item.row_id)
        return len(items), sent

    def deliver(self, item: OutboxItem) -> bool:
        """Try one claimed row; True when the platform accepted it. Never raises: a fault is
        recorded on the row, which is retried with backoff and parked in the end."""
        try:
            return self._deliver(item)
        except Exception as exc:  # noqa: BLE001 - one bad row must not loop on its lease
            log.exception("outbox row %s failed", item.row_id)
            try:
                self._fail(item, "crashed", f"{type(exc).__name__}: {exc}", park=self._last(item))
            except Exception:  # noqa: BLE001 - the lease runs out; the claim counted the try
                log.exception("outbox row %s: could not record its failure", item.row_id)
            return False

    def _last(self, item: OutboxItem) -> bool:
        """True when this try is the row's last allowed one."""
        return item.attempts + 1 >= self.max_attempts

    def _deliver(self, item: OutboxItem) -> bool:
        platform = item.target.platform
        sender = self.senders.get(platform)
        if sender is None:
            self._fail(item, "no_sender", f"no sender for platform {platform!r}", park=True)
            return False
        if item.attempts >= self.max_attempts:
            # Claimed that often and never finished: every try died on its way (a crash).
            self._fail(item, "abandoned", "lease expired on every attempt", park=True)
            return False
        if item.reply is None:
            self._fail(item, "unreadable", item.unreadable, park=self._last(item))
            return False
        if item.unreachable:
            self._fail(item, "unreachable", "target unreachable (refused earlier)", park=True)
            return False
        if self._lease_running_out(item):
            # Another sender may claim it any moment: sending now could send it twice.
            self.outbox.release(item)
            return False
        wait = self.buckets.acquire(buckets_for(item.target, sender.limits))
        if wait > 0:
            self.metrics.inc("send_failures", platform=platform, reason="rate_limited")
            self.outbox.reschedule(item, wait, count=False)
            return False
        try:
            result = sender.send(item.target, item.reply, item.idempotency_key)
        except Exception as exc:  # noqa: BLE001 - transient faults are retried with backoff
            log.warning("send raised key=%s: %s", item.idempotency_key, type(exc).__name__)
            result = SendResult(ok=False, error=f"{type(exc).__name__}: {exc}")
        return self._finish(item, result)

    def _lease_running_out(self, item: OutboxItem) -> bool:
        """True when less than a quarter of the lease is left (a long sequential pass)."""
        margin = timedelta(seconds=self.lease_seconds / 4)
        return self.clock.now() >= item.lease_until - margin

    def _finish(self, item: OutboxItem, result: SendResult) -> bool:
        platform = item.target.platform
        if result.ok:
            if not self.outbox.mark_sent(item, result.message_id):
                log.warning("outbox row %s was sent after its lease ran out", item.row_id)
            self.metrics.inc("sent", platform=platform)
            return True
        if result.permanent:
            self._fail(item, "permanent", result.error or "refused", park=True)
            self._mark_unreachable(item.target, result.error or "refused")
        elif result.retry_after is not None:
            self.metrics.inc("send_failures", platform=platform, reason="retry_after")
            self.outbox.reschedule(item, result.retry_after, result.error, count=False)
        else:
            self._fail(item, "error", result.error or "send failed", park=self._last(item))
        return False

    def _fail(self, item: OutboxItem, reason: str, error: str, *, park: bool) -> None:
        self.metrics.inc("send_failures", platform=item.target.platform, reason=reason)
        if park:
            log.warning("outbox row parked key=%s reason=%s", item.idempotency_key, reason)
            self.outbox.park(item, f"{reason}: {error}", reason)
        else:
            self.outbox.reschedule(item, backoff(item.attempts + 1), f"{reason}: {error}")

    def _mark_unreachable(self, target: Target, reason: str) -> None:
        self.unreachable.mark(target, reason)
        self.metrics.inc("unreachable", platform=target.platform)
        log.warning("target unreachable platform=%s", target.platform)
        if self.on_unreachable is None:
            return
        try:
            self.on_unreachable(target)
        except Exception:  # noqa: BLE001 - the core's reaction must not break sending
            log.exception("on_unreachable callback failed")
