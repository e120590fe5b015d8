"""Builds the core from settings: database, registry, tracking provider, stores, engine.

Platform adapters and the runtime are assembled on top of this in `adapters.assembly`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.carriers import Registry, default_registry, load_registry
from bot.clock import Clock
from bot.dialogue import SubscriptionCommands, TrackingDialogue
from bot.engine import Engine
from bot.engine_commands import CommandHandlers
from bot.lookup import Lookup
from bot.settings import Settings
from bot.storage import Database, open_database
from bot.storage.conversation import ConversationStore
from bot.subscriptions import SubscriptionService, build_subscription_service
from bot.upstream import TrackingProvider, build_provider

log = logging.getLogger(__name__)


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
    engine: Engine
    subscriptions: SubscriptionService | None = None

    def close(self) -> None:
        """Release connections."""
        self.db.dispose()


def carriers_override_path(settings: Settings):
    """Where `kuaidi-bot carriers sync` writes the refreshed carrier list."""
    return settings.data_dir / "carriers-override.json"


def load_carriers(settings: Settings) -> Registry:
    """The shipped registry, refreshed by a synced override file when one exists."""
    override = carriers_override_path(settings)
    return load_registry(override) if override.exists() else default_registry()


def admin_ids(settings: Settings) -> frozenset[str]:
    """`ADMIN_USERS` as a set of `platform:user` strings."""
    return frozenset(a.strip() for a in settings.admin_users.split(",") if a.strip())


def build_core(
    settings: Settings, clock: Clock | None = None, *, subscriptions: bool = False
) -> Core:
    """Open the database and wire the engine, with the subscription commands when
    `subscriptions` is true."""
    clock = clock or Clock()
    # Every worker, sender and poller thread may hold a connection at once; keep headroom so
    # none waits on the pool.
    threads = settings.worker_threads + settings.sender_threads
    db = open_database(settings.db_url, pool_size=threads + 4, max_overflow=10)
    registry = load_carriers(settings)

    def carrier_name(code: str) -> str:
        carrier = registry.get(code)
        return carrier.name if carrier else code

    provider = build_provider(settings, carrier_name=carrier_name, clock=clock)
    store = ConversationStore(db, clock)
    lookup = Lookup(provider, registry, store, identify=bool(settings.kuaidi_identify_path))
    service = None
    if subscriptions:
        service = build_subscription_service(settings, db, clock, lookup, store)
    engine = build_engine(lookup, service, admin_ids(settings))
    return Core(settings, clock, db, registry, provider, store, lookup, engine, service)


def build_engine(
    lookup: Lookup,
    subscriptions: SubscriptionCommands | None = None,
    admins: frozenset[str] = frozenset(),
) -> Engine:
    """The engine over one dialogue and one set of command handlers that share it."""
    dialogue = TrackingDialogue(lookup, lookup.store, subscriptions)
    commands = CommandHandlers(dialogue, lookup.registry, lookup.store, subscriptions, admins)
    return Engine(dialogue, commands, lookup.store)
