"""What a `Runtime` is built from: its ports, its threads, and its delivery policy.

Three small frozen records instead of fourteen constructor parameters, so the composition
root (`adapters/assembly.py`) says in one place what the runtime talks to, how many threads
drain its queues, and how patiently rows are retried. Each group has the production defaults;
tests and benches replace single fields with `dataclasses.replace` or keyword arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.clock import Clock
from bot.models import Target
from bot.runtime.metrics import Metrics
from bot.runtime.ports import Sender
from bot.runtime.shared import SharedState
from bot.runtime.worker import Handler
from bot.storage.db import Database


@dataclass(frozen=True, eq=False)
class RuntimePorts:
    """What the runtime reads, calls and writes to.

    `shared` (token cache, rate-limit buckets) and `metrics` are made for the runtime when
    absent; `on_unreachable` is told when a chat refuses a send for good.
    """

    db: Database
    handler: Handler
    senders: Mapping[str, Sender]
    clock: Clock
    on_unreachable: Callable[[Target], None] | None = None
    shared: SharedState | None = None
    metrics: Metrics | None = None


@dataclass(frozen=True)
class RuntimeThreads:
    """How the queues are drained. Web-only processes use `worker_threads=0,
    sender_threads=0` (they only accept); `owner` names this process on claimed rows."""

    worker_threads: int
    sender_threads: int = 2
    #: The longest an idle pool waits before it looks at its queue again without a wakeup.
    poll_interval: float = 0.2
    owner: str | None = None


#: A runtime that only accepts and is driven by hand (`process_pending`, `send_pending`).
NO_THREADS = RuntimeThreads(worker_threads=0, sender_threads=0)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How long a claimed row is held, how often a row is retried, and how long a failed row
    may hold back its chat's later rows (CHAT_HOLD_SECONDS)."""

    #: Renewed every third while a row is worked on; after a crash, the time its rows wait.
    lease_seconds: float = 30.0
    send_lease_seconds: float = 30.0
    max_attempts: int = 3
    max_send_attempts: int = 5
    hold_seconds: float = 10.0
