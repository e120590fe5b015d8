"""The Procfile's two lines, run for real: a web process and a worker process sharing
PostgreSQL and Redis, a Telegram webhook in, a reply out through the (fake) Bot API.

This is the scale-out deployment as a user starts it: the commands are read from the
Procfile itself, the configuration comes from the environment only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from adapters.telegram.inbound import SECRET_HEADER, WEBHOOK_PATH
from tests.fakes.upstream_server import FakeUpstream
from tests.support.processes import ROOT, process_env, procfile, start, stop, wait_ready
from tests.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.telegram.updates import text_update

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

NUMBER = "YT1234567890123"
REDIS_DB = 13  # a logical database of its own: the bot writes its real `kuaidi:` keys
VECTOR = json.loads((ROOT / "tests/data/vectors/telegram.json").read_text(encoding="utf-8"))


@pytest.fixture
def services(pg_url, redis_url, tmp_path) -> Iterator[tuple[dict[str, str], FakeBotApi]]:
    """The environment of both processes, and the fake Bot API they talk to.

    They run in an empty directory, so a developer's `.env` cannot add platforms."""
    redis_db = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    with FakeBotApi(me=VECTOR["bot_getMe"]) as api, FakeUpstream(appcode=None) as upstream:
        upstream.set_track(NUMBER, 3, [("2026-03-01 08:00:00", "快件已到达【西湖营业部】")])
        env = {
            **process_env(tmp_path),
            "DATABASE_URL": pg_url,
            "REDIS_URL": redis_db,
            "KUAIDI_APPCODE": "test-appcode",
            "KUAIDI_API_BASE": upstream.url,
            "KUAIDI_DEMO": "0",
            "KUAIDI_POLLER": "0",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": VECTOR["secret_token"],
            "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/webhook",
            "TELEGRAM_API_BASE": api.base,
        }
        yield env, api
    client = redis.Redis.from_url(redis_db)
    for key in client.scan_iter("kuaidi:*"):
        client.delete(key)


def test_web_and_worker_processes_answer_a_webhook_once(services):
    env, api = services
    commands = procfile()
    web, worker = start(commands["web"], env), start(commands["worker"], env)
    try:
        base = f"http://127.0.0.1:{env['PORT']}"
        wait_ready(f"{base}/readyz")
        update = text_update(7001, f"帮我查 {NUMBER}", chat_id=11111)
        headers = {SECRET_HEADER: VECTOR["secret_token"]}
        for _ in range(2):  # Telegram re-delivering the same update
            answer = httpx.post(f"{base}{WEBHOOK_PATH}", json=update, headers=headers)
            assert answer.status_code == 200
        [sent] = api.wait_for("sendMessage", timeout=30)
        assert str(sent.params["chat_id"]) == "11111" and NUMBER in sent.params["text"]
        assert "西湖营业部" in sent.params["text"]
        time.sleep(1.0)  # a second reply, if any, would have been sent by now
        assert len(api.of("sendMessage")) == 1
        forged = httpx.post(f"{base}{WEBHOOK_PATH}", json=update, headers={SECRET_HEADER: "x"})
        assert forged.status_code in (401, 403)
    finally:
        stop(worker)
        stop(web)
