"""The push path end to end: a Telegram user subscribes through the real webhook, the worker
looks the parcel up at Kuaidi100 and registers it there; Kuaidi100's signed callback comes in
through the real web route, the worker applies it, and the news reaches the user through the
fake Telegram Bot API, with no poll in between."""

from __future__ import annotations

import json

from bot.clock import FakeClock
from tests.door import stack as s
from tests.fakes.kuaidi100_server import CALLBACK_PATH, FakeKuaidi100
from tests.telegram.updates import text_update

YT = "YT1234567890123"
PICKUP = ("2026-01-01 07:30:00", "【泉州市】【福建营销部】已揽收")
HUB = ("2026-01-01 23:10:00", "【泉州市】快件离开【泉州中转部】已发往【杭州中转部】")
CHAT = 555


def send_all(stack, clock: FakeClock) -> None:
    """Let the sender drain the outbox; the clock moves past Telegram's per-chat pace."""
    for _ in range(5):
        stack.app.runtime.send_pending()
        clock.advance(2)


def sent_texts(stack) -> list[str]:
    return [str(call.params.get("text", "")) for call in stack.telegram_api.of("sendMessage")]


def test_subscribe_on_telegram_then_a_kuaidi100_push_reaches_the_chat(tmp_path):
    with FakeKuaidi100() as k100:
        k100.set_track(YT, 1, [PICKUP], com="yuantong")
        overrides = {
            **k100.settings_values(),
            "kuaidi_providers": "kuaidi100",
            "kuaidi_demo": False,
        }
        db = f"sqlite:///{tmp_path / 'push.sqlite3'}"
        clock = FakeClock()
        with s.running_stack(db, tmp_path, clock=clock, **overrides) as stack:
            update = text_update(900001, f"/subscribe {YT}", chat_id=CHAT)
            assert s.telegram(update).send(stack.client).status_code == 200
            stack.work_off()
            send_all(stack, clock)
            assert any("已订阅" in text for text in sent_texts(stack))
            assert len(k100.queries_for(YT)) == 1 and len(k100.subscriptions_for(YT)) == 1

            k100.set_track(YT, 0, [HUB, PICKUP], com="yuantong")
            response = stack.client.post(CALLBACK_PATH, data=k100.callback_form(YT))
            assert response.status_code == 200
            assert json.loads(response.data) == {
                "result": True,
                "returnCode": "200",
                "message": "成功",
            }
            before = len(sent_texts(stack))
            stack.work_off()
            poller = stack.app.poller
            report = poller.run_once()  # the poller's loop: nothing due, flushes the push
            assert report.polled == 0
            send_all(stack, clock)
            news = sent_texts(stack)[before:]
            assert len(news) == 1 and "泉州中转部" in news[0]
            assert stack.telegram_api.of("sendMessage")[-1].params["chat_id"] == str(CHAT)
            assert len(k100.queries_for(YT)) == 1  # the push, not a poll, brought the news
