"""Assembles the whole bot from settings: core, subscriptions, runtime, adapters, web app.

`kuaidi-bot run`, `worker`, `console`, `poll` and the gunicorn entry (`adapters.wsgi`) all
build through here, so every process is wired the same way.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace

from flask import Flask

from adapters.base import PlatformAdapter
from adapters.web import create_app
from bot.assembly import Core, build_core
from bot.clock import Clock
from bot.models import Incoming, Reply
from bot.render import render_text
from bot.runtime.ports import Sender
from bot.runtime.runtime import Runtime
from bot.runtime.shared import SharedState
from bot.settings import Settings
from bot.subscriptions import (
    Poller,
    SubscriptionService,
    build_poller,
    start_poller_thread,
)
from bot.upstream import ConfigurationError, UpstreamError

log = logging.getLogger(__name__)


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
) -> Application:
    """Wire everything. Web-only processes pass `worker_threads=0, sender_threads=0`."""
    core = build_core(settings, clock, subscriptions=True)
    subscriptions = core.subscriptions
    assert subscriptions is not None
    shared = SharedState.create(core.db, core.clock, settings.redis_url)
    if adapters is None:
        adapters = enabled_adapters(settings, shared)
    senders = {adapter.name: adapter.sender() for adapter in adapters}
    senders.update(extra_senders or {})
    runtime = Runtime(
        core.db,
        reply_preparer(core, adapters),
        senders,
        core.clock,
        worker_threads=settings.worker_threads if worker_threads is None else worker_threads,
        sender_threads=settings.sender_threads if sender_threads is None else sender_threads,
        on_unreachable=subscriptions.on_unreachable,
        shared=shared,
    )
    poller = build_poller(settings, core, runtime.outbox)
    flask = create_app(
        runtime,
        adapters,
        settings,
        ready_check=lambda: {"database": core.db.ping(), "configuration": config_sane(settings)},
        upstream_stats=lambda: core.provider.stats,
    )
    return Application(settings, core, subscriptions, runtime, adapters, poller, flask)


def reply_preparer(core: Core, adapters: list[PlatformAdapter]):
    """The worker's handler: the engine, then the platform's reply shaping where it has
    one (e.g. a WeCom AI-bot message can be answered only once, so replies merge)."""
    shapers = {a.name: a.one_reply_for for a in adapters}

    def handle(message: Incoming) -> list[Reply]:
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


def check_upstream(core: Core) -> bool:
    """A start-up check that costs nothing: an empty-looking number is refused with the
    unbilled HTTP 666, while a wrong AppCode or path fails loudly as a configuration error."""
    if core.settings.demo:
        log.warning("DEMO MODE: no KUAIDI_APPCODE (or KUAIDI_DEMO=1); answers are invented")
        return True
    try:
        core.provider.track("0", fresh=True)
    except ConfigurationError as error:
        log.error("upstream configuration error: %s", error)
        return False
    except UpstreamError as error:
        log.info("upstream reachable (probe answered %s)", type(error).__name__)
    return True
