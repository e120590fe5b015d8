"""The processes `bench/gateway.py` starts, each configured through BENCH_* variables.

- `web_app()` / `naive_app()` / `embedded_app()`: the gunicorn applications (queued: accept
  only; naive: handle and send inside the request; embedded: accept, with the worker and
  sender threads in the same process);
- `worker_main()`: a `kuaidi-bot worker`-like process (`run_worker_forever`) whose handler
  queries the fake upstream over HTTP and whose sender posts to the fake platform API;
- `upstream_main()`: the fake upstream, answering every query after `UPSTREAM_LATENCY`;
- `platform_main()`: the fake platform API, in a process of its own so its request handling
  does not share a GIL with the load generator's clocks. It prints its URL, then answers
  commands on stdin, one per line: `seen` (distinct idempotency keys received) and `dump`
  (every send and the visible message count, as one JSON line).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from http.server import ThreadingHTTPServer

from bot.models import Reply, target_of
from tests.fakes.testing_platform import FakePlatformAPI, TestingAdapter, TestingSender

SECRET = "bench-secret"
UPSTREAM_LATENCY = 1.5
LEASE_SECONDS = 10.0
# Hundreds of connections arrive at once; the default backlog of 5 would drop SYNs.
ThreadingHTTPServer.request_queue_size = 1024


def _handler():
    """The core handler stand-in: one query through the production `ApiClient`, one reply.

    No token bucket: the vendor's rate limit is the customer's plan (`KUAIDI_RATE_LIMIT`,
    5/s by default), and this measures the gateway, not the plan.
    """
    from bot.settings import Settings
    from bot.upstream import ApiClient

    settings = Settings(
        _env_file=None,
        kuaidi_appcode="bench-appcode",
        kuaidi_api_base=os.environ["BENCH_UPSTREAM_URL"],
        kuaidi_demo=False,
        worker_threads=int(os.environ.get("BENCH_WORKER_THREADS", "200")),
        redis_url=None,
    )
    client = ApiClient(settings)

    def handle(message):
        result = client.track(message.text)
        return [Reply(text=f"{message.text} {result.carrier_name} {result.status.name}")]

    return handle


def web_app():
    """Queued mode's web process: `gunicorn 'bench.gateway_roles:web_app()'`."""
    from adapters.web import create_app
    from bot.clock import Clock
    from bot.runtime.config import NO_THREADS, RuntimePorts
    from bot.runtime.runtime import Runtime
    from bot.settings import Settings
    from bot.storage import open_database

    db = open_database(os.environ["BENCH_DB_URL"], pool_size=8, max_overflow=8)
    runtime = Runtime(RuntimePorts(db, lambda m: [], {}, Clock()), NO_THREADS)
    adapter = TestingAdapter(SECRET, os.environ["BENCH_PLATFORM_URL"])
    return create_app(runtime, [adapter], Settings(_env_file=None), lambda: True)


def _working_runtime():
    """A runtime with handler and sender threads, as in a worker process."""
    from bot.clock import Clock
    from bot.runtime.config import DeliveryPolicy, RuntimePorts, RuntimeThreads
    from bot.runtime.runtime import Runtime
    from bot.storage import open_database

    db = open_database(os.environ["BENCH_DB_URL"], pool_size=20, max_overflow=10)
    runtime = Runtime(
        RuntimePorts(
            db,
            _handler(),
            {"testing": TestingSender(os.environ["BENCH_PLATFORM_URL"])},
            Clock(),
        ),
        RuntimeThreads(
            worker_threads=int(os.environ.get("BENCH_WORKER_THREADS", "400")),
            sender_threads=16,
            poll_interval=0.02,
        ),
        DeliveryPolicy(lease_seconds=LEASE_SECONDS, send_lease_seconds=LEASE_SECONDS),
    )
    return runtime


def embedded_app():
    """Embedded mode (`kuaidi-bot run`'s shape): one process serving webhooks, with the worker
    and sender threads beside the web threads (`gunicorn -w 1`)."""
    from adapters.web import create_app
    from bot.settings import Settings

    runtime = _working_runtime()
    runtime.start()
    adapter = TestingAdapter(SECRET, os.environ["BENCH_PLATFORM_URL"])
    return create_app(runtime, [adapter], Settings(_env_file=None), lambda: True)


class _InlineInbox:
    """Naive mode: handle and send inside the webhook request, as a slow bot does."""

    def __init__(self) -> None:
        self.handle = _handler()
        self.sender = TestingSender(os.environ["BENCH_PLATFORM_URL"])

    def accept(self, delivery_id, message) -> bool:
        for index, reply in enumerate(self.handle(message)):
            self.sender.send(target_of(message), reply, f"testing:{delivery_id}:{index}")
        return True


def naive_app():
    """Naive mode's web process: `gunicorn 'bench.gateway_roles:naive_app()'`."""
    from flask import Flask

    app = Flask("naive")
    adapter = TestingAdapter(SECRET, os.environ["BENCH_PLATFORM_URL"])
    app.register_blueprint(adapter.blueprint(_InlineInbox()))
    return app


def worker_main() -> None:
    """A worker process: inbox claims, the handler, the sender, until SIGTERM (or SIGKILL)."""
    from bot.runtime.runtime import run_worker_forever

    run_worker_forever(_working_runtime())


def upstream_main() -> None:
    """The fake upstream; prints its URL and serves until stdin closes."""
    from tests.fakes.upstream_server import FakeUpstream

    server = FakeUpstream(appcode=None, latency=UPSTREAM_LATENCY).start()
    print(server.url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or dies)


def platform_main() -> None:
    """The fake platform API; prints its URL, then answers `seen` / `dump` on stdin."""
    api = FakePlatformAPI()
    print(api.start(), flush=True)
    for line in sys.stdin:
        if line.strip() == "seen":
            print(len(set(api.sent_keys())), flush=True)
        elif line.strip() == "dump":
            with api.lock:
                sends = [asdict(send) for send in api.sends]
            print(json.dumps({"sends": sends, "visible": api.visible_count()}), flush=True)
    api.stop()
