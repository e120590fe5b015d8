"""The composition root: builds the core, the runtime and the adapters from settings.

Every entry point builds through here — `kuaidi-bot run` (`adapters.serve`), `worker`,
`console`, `poll`, `check`, the gunicorn entry (`adapters.wsgi`) and the tests — so every
process is wired the same way. Nothing below this module builds its collaborators: each
layer's classes take theirs as arguments. Each layer's table module adds its tables to the
storage layer's metadata when imported (the imports below), so `open_database` creates them
all without the storage layer knowing the layers above it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from pathlib import Path

from flask import Flask

import bot.runtime.schema  # noqa: F401 - registers the inbox, outbox and token tables
import bot.subscriptions.schema  # noqa: F401 - registers the subscription tables
from adapters.base import PlatformAdapter
from adapters.kuaidi100_callback import PLATFORM as CALLBACK_PLATFORM
from adapters.web import create_app
from bot.carriers import Registry, default_registry, load_registry
from bot.clock import Clock
from bot.dialogue import TrackingDialogue
from bot.dialogue.photos import PhotoReader, Scanner
from bot.engine import Engine
from bot.engine_commands import CommandHandlers
from bot.lookup import Lookup
from bot.models import Incoming, Reply
from bot.render import render_text
from bot.runtime.config import DeliveryPolicy, RuntimePorts, RuntimeThreads
from bot.runtime.ports import AttachmentSource, Sender
from bot.runtime.runtime import Runtime, parked_report, run_worker_forever
from bot.runtime.shared import SharedState
from bot.settings import Settings
from bot.storage import Database, open_database
from bot.storage.conversation import ConversationStore
from bot.storage.patterns import PatternStore  # registers the learned carrier table
from bot.subscriptions import (
    Health,
    Poller,
    PushQueue,
    QuietHours,
    SubscriptionService,
    SubscriptionStore,
    start_poller_thread,
)
from bot.subscriptions.callbacks import CallbackApplier
from bot.subscriptions.push_state import PushRegistrar, hold_if_pushed, push_counts
from bot.upstream import TrackingProvider, build_provider, push_provider
from bot.vision import VisionPool

log = logging.getLogger(__name__)

#: Seconds one picture's scan may take (OCR of a large screenshot is ~2 s on one core).
SCAN_TIMEOUT = 30.0


@dataclass
class Core:
    """Everything the conversation needs, wired together."""

    settings: Settings
    clock: Clock
    db: Database
    registry: Registry
    provider: TrackingProvider
    store: ConversationStore
    lookup: Lookup
    subscriptions: SubscriptionService | None
    engine: Engine
    #: Each platform's picture downloads, filled in once the adapters are built.
    attachment_sources: dict[str, AttachmentSource] = field(default_factory=dict)
    close_scanner: Callable[[], None] | None = None

    def close(self) -> None:
        """Release connections (and the picture scanner's threads)."""
        if self.close_scanner is not None:
            self.close_scanner()
        self.db.dispose()


def build_core(
    settings: Settings,
    clock: Clock | None = None,
    *,
    subscriptions: bool = True,
    scanner: Scanner | None = None,
) -> Core:
    """Open the database and wire the engine (without the subscription commands when
    `subscriptions` is false). Pictures are scanned by `scanner` when given (tests), else by
    `bot.vision` on its bounded pool."""
    clock = clock or Clock()
    # Every worker, sender and poller thread may hold a connection at once; keep headroom so
    # none waits on the pool.
    threads = settings.worker_threads + settings.sender_threads
    db = open_database(settings.db_url, pool_size=threads + 4, max_overflow=10)
    registry = load_carriers(settings)

    def carrier_name(code: str) -> str:
        carrier = registry.get(code)
        return carrier.name if carrier else code

    def kuaidi100_code(code: str) -> str | None:
        # Registry codes are Kuaidi100's; a vendor code (`jt`) resolves to its carrier too.
        carrier = registry.get(code)
        return carrier.code if carrier else None

    provider = build_provider(
        settings, carrier_name=carrier_name, clock=clock, kuaidi100_code=kuaidi100_code
    )
    store = ConversationStore(db, clock, timedelta(seconds=settings.kuaidi_tail_timeout))
    patterns = PatternStore(db, clock)  # the learned carrier table
    lookup = Lookup(
        provider,
        registry,
        store,
        identify=bool(settings.kuaidi_identify_path),
        patterns=patterns,
        demo=settings.demo,
    )
    service = None
    if subscriptions:
        pusher = push_provider(provider) if settings.kuaidi100_push else None
        push = (
            PushRegistrar(db, clock, pusher.subscribe, pusher.name) if pusher is not None else None
        )
        service = SubscriptionService(
            SubscriptionStore(db, clock),
            lookup,
            store,
            Health(db, clock),
            max_subscriptions=settings.kuaidi_max_subscriptions,
            daily_budget=settings.kuaidi_daily_budget,
            parked=partial(parked_report, db),  # the runtime's parked rows, in /status
            push=push,
        )
    dialogue = TrackingDialogue(lookup, store, service)
    commands = CommandHandlers(dialogue, registry, store, service, admin_ids(settings))
    sources: dict[str, AttachmentSource] = {}
    close_scanner = None
    if scanner is None:
        scanner, close_scanner = vision_scanner(settings, patterns)
    photos = PhotoReader(sources, scanner) if scanner is not None else None
    engine = Engine(dialogue, commands, store, photos)
    core = Core(settings, clock, db, registry, provider, store, lookup, service, engine)
    core.attachment_sources = sources
    core.close_scanner = close_scanner
    return core


def vision_scanner(settings: Settings, patterns: PatternStore):
    """(scan, close): `bot.vision` on its bounded pool, the learned carriers included."""
    pool = VisionPool.from_settings(settings)

    def scan(data: bytes):
        return pool.scan(data, learned=patterns.snapshot(), timeout=SCAN_TIMEOUT)

    return scan, pool.close


def build_poller(settings: Settings, core: Core, outbox) -> Poller:
    """The subscription poller over `outbox` (the runtime's `DurableOutbox`)."""
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
        push_hold=hold_if_pushed if settings.kuaidi100_push else None,
    )


def carriers_override_path(settings: Settings) -> Path:
    """Where `kuaidi-bot carriers sync` writes the refreshed carrier list."""
    return settings.data_dir / "carriers-override.json"


def load_carriers(settings: Settings) -> Registry:
    """The shipped registry, refreshed by a synced override file when one exists."""
    override = carriers_override_path(settings)
    return load_registry(override) if override.exists() else default_registry()


def admin_ids(settings: Settings) -> frozenset[str]:
    """`ADMIN_USERS` as a set of `platform:user` strings."""
    return frozenset(a.strip() for a in settings.admin_users.split(",") if a.strip())


@dataclass
class Application:
    """One process's bot: what it serves, works on and polls."""

    settings: Settings
    core: Core
    subscriptions: SubscriptionService
    runtime: Runtime
    adapters: list[PlatformAdapter]
    poller: Poller
    flask: Flask
    stop_event: threading.Event = field(default_factory=threading.Event)

    def start(self, *, intake: bool = True, poller: bool | None = None) -> None:
        """Start worker and sender threads, platform intakes and (if enabled) the poller."""
        self.runtime.start()
        self._start_beside_runtime(intake, poller)

    def run_worker(self, *, intake: bool = False) -> None:
        """The body of `kuaidi-bot worker`: intakes (if asked), the poller (if enabled) and
        the runtime's threads until SIGTERM/SIGINT; then stop everything."""
        self._start_beside_runtime(intake, None)
        try:
            run_worker_forever(self.runtime, self.stop_event)
        finally:
            self.stop()

    def _start_beside_runtime(self, intake: bool, poller: bool | None) -> None:
        if intake:
            for adapter in self.adapters:
                adapter.start_intake(self.runtime.inbox)
        if self.settings.kuaidi_poller if poller is None else poller:
            start_poller_thread(self.poller, self.stop_event)

    def stop(self) -> None:
        """Stop everything this process started and close connections."""
        self.stop_event.set()
        self.runtime.stop()  # first: running handlers and sends finish on open clients
        for adapter in self.adapters:
            adapter.stop()
        self.core.close()


def enabled_adapters(settings: Settings, shared: SharedState) -> list[PlatformAdapter]:
    """The adapters whose credentials are configured."""
    adapters: list[PlatformAdapter] = []
    if settings.telegram_enabled:
        from adapters.telegram import build_adapter as telegram

        adapters.append(telegram(settings, shared.tokens))
    if settings.wecom_enabled:
        from adapters.wecom import build_adapter as wecom

        adapters.append(wecom(settings, shared.tokens))
    if settings.feishu_enabled:
        from adapters.feishu import build_adapter as feishu

        adapters.append(feishu(settings, shared.tokens))
    return adapters


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    worker_threads: int | None = None,
    sender_threads: int | None = None,
    extra_senders: dict[str, Sender] | None = None,
    adapters: list[PlatformAdapter] | None = None,
    scanner: Scanner | None = None,
) -> Application:
    """Wire everything. Web-only processes pass `worker_threads=0, sender_threads=0`; tests
    may pass their own picture `scanner`."""
    core = build_core(settings, clock, scanner=scanner)
    subscriptions = core.subscriptions
    assert subscriptions is not None
    shared = SharedState.create(core.db, core.clock, settings.redis_url)
    if adapters is None:
        adapters = enabled_adapters(settings, shared)
    senders = {adapter.name: adapter.sender() for adapter in adapters}
    for adapter in adapters:
        if hasattr(adapter, "fetch_attachment"):
            core.attachment_sources[adapter.name] = adapter
    senders.update(extra_senders or {})
    # The poller's push queue, wired after the runtime: the handler reaches it through this.
    callbacks: list[CallbackApplier] = []
    ports = RuntimePorts(
        core.db,
        reply_preparer(core, adapters, callbacks),
        senders,
        core.clock,
        on_unreachable=subscriptions.on_unreachable,
        shared=shared,
    )
    threads = RuntimeThreads(
        worker_threads=settings.worker_threads if worker_threads is None else worker_threads,
        sender_threads=settings.sender_threads if sender_threads is None else sender_threads,
    )
    runtime = Runtime(ports, threads, DeliveryPolicy(hold_seconds=settings.chat_hold_seconds))
    poller = build_poller(settings, core, runtime.outbox)
    callbacks.append(CallbackApplier(core.db, core.clock, poller.pushes, core.lookup))
    flask = create_app(
        runtime,
        adapters,
        settings,
        ready_check=lambda: {"database": core.db.ping(), "configuration": config_sane(settings)},
        upstream_stats=partial(upstream_stats, core, settings),
    )
    return Application(settings, core, subscriptions, runtime, adapters, poller, flask)


def upstream_stats(core: Core, settings: Settings) -> dict:
    """/metrics' upstream figures: the providers' counters, and parcels by push state."""
    stats = dict(core.provider.stats)
    if settings.kuaidi100_push:
        stats["push_parcels"] = push_counts(core.db)
    return stats


def reply_preparer(
    core: Core, adapters: list[PlatformAdapter], callbacks: list[CallbackApplier] | None = None
):
    """The worker's handler: the engine, then the platform's reply shaping where it has
    one (e.g. a WeCom AI-bot message can be answered only once, so replies merge). Kuaidi100
    pushes go to the callback applier (its pushes reach chats through the poller's queue)."""
    shapers = {a.name: a.one_reply_for for a in adapters}

    def handle(message: Incoming) -> list[Reply]:
        if message.platform == CALLBACK_PLATFORM:
            for applier in callbacks or ():
                log.info("kuaidi100 callback: %s", applier.apply(message.text))
            return []
        replies = core.engine.handle(message)
        wants_one = shapers.get(message.platform)
        if wants_one is not None and len(replies) > 1 and wants_one(message):
            return [merge_replies(replies)]
        return replies

    return handle


def merge_replies(replies: list[Reply]) -> Reply:
    """One reply carrying several: the first card stays a card, the rest become text."""
    first_card = next((r for r in replies if r.card is not None), None)
    texts = []
    for reply in replies:
        if reply is first_card:
            if reply.text:
                texts.append(reply.text)
            continue
        texts.append(render_text(replace(reply, buttons=())))
    base = first_card or replies[0]
    return replace(base, text="\n\n".join(t for t in texts if t), edit_of=None)


def config_sane(settings: Settings) -> bool:
    """Readiness: the upstream is either configured or deliberately in demo mode."""
    return bool(settings.demo or settings.kuaidi_api_base.startswith(("https://", "http://")))
