"""Long-connection intake (FEISHU_MODE=websocket) with lark-oapi's WebSocket client.

For deployments without a public URL. lark-oapi 1.7.5 binds a module-level asyncio loop at
import time, so the client runs in its own thread with its own loop, installed both as that
thread's loop and as `lark_oapi.ws.client.loop` before `start()`. Events arrive already
decrypted; they are turned back into the webhook's plaintext dict and go through the same
parser and the same `Inbox`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from adapters.feishu.parse import parse_envelope
from bot.runtime.ports import Inbox, MalformedId

log = logging.getLogger(__name__)

#: Builds the WebSocket client: (app_id, app_secret, event_handler, domain) -> object with start().
WsClientFactory = Callable[[str, str, Any, str], Any]


def event_to_dict(event: Any) -> dict[str, Any]:
    """A lark-oapi event object (e.g. P2ImMessageReceiveV1) → the plaintext webhook dict.

    lark-oapi models are plain objects whose attributes mirror the JSON keys; unset ones are
    None and are dropped, as lark's own JSON encoder does.
    """

    def plain(obj: Any) -> Any:
        return {k: v for k, v in vars(obj).items() if v is not None and not k.startswith("_")}

    return json.loads(json.dumps(event, default=plain, ensure_ascii=False))


def build_handler(inbox: Inbox, bot_open_id: Callable[[], str | None]) -> Any:
    """The lark-oapi event handler: messages and card presses feed `inbox.accept`.

    An exception (e.g. the database is down) propagates, so lark answers 500 and Feishu
    redelivers; the inbox's dedup on message_id absorbs the repeat.
    """
    import lark_oapi as lark
    from lark_oapi.event.callback.model.p2_card_action_trigger import (
        P2CardActionTriggerResponse,
    )

    def accept(event: Any) -> None:
        try:
            parsed = parse_envelope(event_to_dict(event), bot_open_id())
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("feishu: malformed event on the long connection: %s", exc)
            return  # redelivery cannot fix it
        if parsed is None:
            return
        try:
            inbox.accept(parsed.delivery_id, parsed.message)
        except MalformedId as exc:
            log.warning("feishu: refused an event on the long connection: %s", exc)

    def on_card(event: Any) -> Any:
        accept(event)
        return P2CardActionTriggerResponse()  # empty: keep the card, no toast

    return (
        lark.EventDispatcherHandler.builder("", "")
        .register_p2_im_message_receive_v1(accept)
        .register_p2_card_action_trigger(on_card)
        .build()
    )


def lark_ws_client(app_id: str, app_secret: str, handler: Any, domain: str) -> Any:
    """The real lark-oapi WebSocket client (call inside the intake thread)."""
    import lark_oapi as lark

    # WARNING, not INFO: lark logs the connection URL, whose query holds a temporary
    # access key and ticket.
    return lark.ws.Client(
        app_id, app_secret, event_handler=handler, domain=domain, log_level=lark.LogLevel.WARNING
    )


class WebSocketIntake:
    """Runs the long connection in a daemon thread with its own event loop."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        domain: str,
        client_factory: WsClientFactory = lark_ws_client,
        before_start: Callable[[], None] = lambda: None,
    ) -> None:
        self._app_id = app_id
        self._app_secret = app_secret
        self._domain = domain
        self._client_factory = client_factory
        self._before_start = before_start
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None

    def start(self, inbox: Inbox, bot_open_id: Callable[[], str | None]) -> None:
        """Start the connection thread (once)."""
        if self.thread is not None:
            return
        self.thread = threading.Thread(
            target=self._run, args=(inbox, bot_open_id), name="feishu-ws", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        """Ask the connection thread to end (lark has no stop(): stop its loop)."""
        self._stopping.set()
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)

    def _run(self, inbox: Inbox, bot_open_id: Callable[[], str | None]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        import lark_oapi.ws.client as ws_client

        ws_client.loop = loop  # the module-level loop lark's start() runs on
        self._before_start()
        handler = build_handler(inbox, bot_open_id)
        delay = 5.0
        while not self._stopping.is_set():
            log.info("feishu: opening the long connection")
            try:
                self._client_factory(self._app_id, self._app_secret, handler, self._domain).start()
                return  # start() only returns when the client gave up for good
            except RuntimeError:
                if self._stopping.is_set():
                    return  # our stop() halted the loop under run_until_complete
                log.exception("feishu: long connection failed; retrying in %.0f s", delay)
            except Exception:  # noqa: BLE001 - keep the intake alive across any client fault
                log.exception("feishu: long connection failed; retrying in %.0f s", delay)
            self._stopping.wait(delay)
            delay = min(delay * 2, 300.0)
