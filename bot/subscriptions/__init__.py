"""Subscriptions: who follows which parcel, poll scheduling and change detection.

Assembly (`bot.assembly`): build the service on the core's database and lookup, give it to
the dialogue and the commands, register `service.on_unreachable` with the runtime, then build
the poller on the runtime's outbox and run it in a thread (`start_poller_thread`) or once
(`Poller.run_once`).
"""

from __future__ import annotations

import threading

from bot.subscriptions.budget import Health
from bot.subscriptions.poller import Poller, RoundReport
from bot.subscriptions.pushes import PushQueue, QuietHours
from bot.subscriptions.schedule import Policy, PollState, next_poll_at
from bot.subscriptions.service import SubscriptionService
from bot.subscriptions.store import SubscriptionStore


def build_subscription_service(settings, db, clock, lookup, conversations) -> SubscriptionService:
    """The dialogue's and the commands' `subscriptions` collaborator."""
    return SubscriptionService(
        SubscriptionStore(db, clock),
        lookup,
        conversations,
        Health(db, clock),
        max_subscriptions=settings.kuaidi_max_subscriptions,
        daily_budget=settings.kuaidi_daily_budget,
    )


def build_poller(settings, core, outbox) -> Poller:
    """The poller over `outbox` (the runtime's `DurableOutbox`, or one built for
    `poll --once`). Quiet hours come from `KUAIDI_QUIET_HOURS` when the setting exists."""
    quiet = QuietHours.parse(settings.kuaidi_quiet_hours)
    pushes = PushQueue(
        core.db, core.clock, outbox, core.lookup, window=settings.kuaidi_push_window, quiet=quiet
    )
    return Poller(
        core.db,
        core.clock,
        core.provider,
        pushes,
        min_interval=settings.kuaidi_poll_min_interval,
        daily_budget=settings.kuaidi_daily_budget,
    )


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
    "build_poller",
    "build_subscription_service",
    "next_poll_at",
    "start_poller_thread",
]
