"""The whole bot as deployed, for payloads recorded from the platforms: the real Flask app,
engine, runtime (SQLite) and poller, the fake tracking API, and fake platform APIs.

`Stack.telegram(update)` posts an update to the webhook with the real secret header,
`Stack.wecom_app(xml)` / `Stack.wecom_aibot(payload)` encrypt and sign like WeCom (Tencent's
sample corp and keys), `Stack.feishu(payload)` like Feishu (encrypted, signed); `Stack.work()`
runs what the worker and sender threads would (inbox, then outbox), and
`Stack.poll()` one subscription round plus its pushes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.assembly import Application, build_application
from adapters.telegram.inbound import SECRET_HEADER, WEBHOOK_PATH
from bot.clock import FakeClock
from bot.runtime.schema import inbox
from bot.settings import Settings
from tests.fakes.upstream_server import FakeUpstream
from tests.feishu.support import FakeFeishu, signed_request
from tests.feishu.support import make_settings as feishu_settings
from tests.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.wecom.support import FakeWeCom, aibot_request, app_request
from tests.wecom.support import make_settings as wecom_settings

DATA = Path(__file__).resolve().parents[1] / "data"
TELEGRAM_SECRET = "recorded-secret-token"
FEISHU_KEY = "test key"  # the Encrypt Key feishu_settings() configures
#: The bot as the recorded Telegram payloads know it (getMe).
TELEGRAM_ME = {"id": 5000000001, "is_bot": True, "first_name": "Kuaidi", "username": "kuaidi_bot"}


def recorded(platform: str, name: str) -> Any:
    """A recorded payload from tests/data/<platform>/recorded/."""
    return json.loads((DATA / platform / "recorded" / name).read_text(encoding="utf-8"))


class Stack:
    """One bot process over a temporary SQLite file, with its fakes (see module docstring)."""

    def __init__(
        self,
        tmp_path: Path,
        upstream: FakeUpstream,
        telegram: FakeBotApi,
        wecom: FakeWeCom,
        feishu: FakeFeishu,
        **extra,
    ):
        self.upstream = upstream
        self.telegram_api, self.wecom_api, self.feishu_api = telegram, wecom, feishu
        self.wecom_vectors = json.loads((DATA / "vectors/wecom.json").read_text("utf-8"))
        platforms = {
            **wecom_settings(self.wecom_vectors, api_base=wecom.base).model_dump(
                include={name for name in Settings.model_fields if name.startswith("wecom_")}
            ),
            **feishu_settings(feishu.base).model_dump(
                include={name for name in Settings.model_fields if name.startswith("feishu_")}
            ),
        }
        defaults = {
            "data_dir": tmp_path,
            "database_url": None,
            "kuaidi_retries": 0,
            "kuaidi_poll_min_interval": 0,
            "kuaidi_push_window": 0.0,
            "kuaidi_poller": False,
            "telegram_bot_token": TOKEN,
            "telegram_webhook_secret": TELEGRAM_SECRET,
            "telegram_webhook_url": "https://bot.example.com/telegram/webhook",
            "telegram_api_base": telegram.base,
        }
        settings = upstream.settings(**{**defaults, **platforms, **extra})
        # A fake clock: sends a platform's rate limit defers are made due by moving it on.
        self.clock = FakeClock()
        self.app: Application = build_application(
            settings, clock=self.clock, worker_threads=0, sender_threads=0
        )
        self.client = self.app.flask.test_client()
        feishu_adapter = next(a for a in self.app.adapters if a.name == "feishu")
        assert feishu_adapter.identity.wait(5), "Feishu bot info was not fetched"

    def wecom_app(self, plaintext: str) -> int:
        """POST a self-built app callback carrying `plaintext` (encrypted, signed)."""
        query, body = app_request(self.wecom_vectors, plaintext)
        return self.client.post("/wecom/callback", query_string=query, data=body).status_code

    def wecom_aibot(self, payload: dict) -> int:
        """POST an AI-bot callback carrying `payload` (encrypted, signed)."""
        query, body = aibot_request(self.wecom_vectors, payload)
        return self.client.post("/wecom/aibot", query_string=query, json=body).status_code

    def feishu(self, payload: dict, path: str = "/feishu/events"):
        """POST a Feishu event (encrypted with the Encrypt Key, signed); the response."""
        body, headers = signed_request(payload, FEISHU_KEY)
        return self.client.post(path, data=body, headers=headers)

    def telegram(self, update: dict) -> int:
        """POST one update to the Telegram webhook; the HTTP status."""
        headers = {SECRET_HEADER: TELEGRAM_SECRET}
        return self.client.post(WEBHOOK_PATH, json=update, headers=headers).status_code

    def work(self) -> int:
        """Handle every pending delivery and send every reply; the deliveries handled."""
        runtime = self.app.runtime
        handled = runtime.process_pending()
        self.send()
        return handled

    def send(self) -> None:
        """Send everything queued, letting rate-limited rows come due."""
        while self.app.runtime.send_pending():
            self.clock.advance(61)

    def poll(self) -> None:
        """One subscription round over every followed number, then its pushes sent."""
        self.app.poller.run_once(all_numbers=True)
        self.clock.advance(61)
        self.send()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Parameters of every Bot API call `method` so far."""
        return [call.params for call in self.telegram_api.of(method)]

    def inbox_payloads(self) -> list[tuple[str]]:
        """The stored payload of every inbox row, oldest first."""
        with self.app.core.db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(inbox.c.payload).order_by(inbox.c.id))]

    def metrics(self) -> str:
        return self.client.get("/metrics").get_data(as_text=True)

    def close(self) -> None:
        self.app.stop()
