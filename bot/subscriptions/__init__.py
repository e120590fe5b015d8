"""Subscriptions: who follows which parcel, poll scheduling and change detection.

The composition root (`adapters.assembly`) builds the service on the core's database and
lookup and gives it to the dialogue and the commands, registers `service.on_unreachable` with
the runtime, then builds the poller on the runtime's outbox and runs it in a thread
(`start_poller_thread`) or once (`Poller.run_once`). Importing the package registers its
tables (`bot.subscriptions.schema`) with the storage layer's metadata.
"""

from __future__ import annotations

import threading

from bot.subscriptions import schema  # noqa: F401 - registers the tables
from bot.subscriptions.budget import Health
from bot.subscriptions.poller import Poller, RoundReport
from bot.subscriptions.pushes import PushQueue, QuietHours
from bot.subscriptions.schedule import Policy, PollState, next_poll_at
from bot.subscriptions.service import SubscriptionService
from bot.subscriptions.store import SubscriptionStore


def start_poller_thread(poller: Poller, stop: threading.Event) -> threading.Thread:
    """Run `poller.run_forever(stop)` in a daemon thread (KUAIDI_POLLER=1 in run/worker)."""
    thread = threading.Thread(
        target=poller.run_forever, args=(stop,), name="subscription-poller", daemon=True
    )
    thread.start()
    return thread


__all__ = [
    "Health",
    "PollState",
    "Poller",
    "Policy",
    "PushQueue",
    "QuietHours",
    "RoundReport",
    "SubscriptionService",
    "SubscriptionStore",
    "next_poll_at",
    "start_poller_thread",
]
