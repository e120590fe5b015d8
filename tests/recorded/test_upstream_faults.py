"""Upstream faults through a platform route: a signed Telegram webhook, the real Flask app,
engine and runtime, the fake tracking API misbehaving, the fake Bot API receiving the reply.

For every fault the user gets one clear sentence (never a stack trace, never "unknown
reason", never a flood of messages), nothing is lost (the inbox row is done, the outbox row
sent), the webhook itself never waits on the upstream (it answers before any upstream call),
and the lookup ends within its deadline (counted as upstream requests and bytes taken, not
timed).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.runtime.schema import inbox, outbox
from tests.fakes.upstream_server import track_body
from tests.recorded.harness import recorded

YT = "YT1234567890123"
SLOW = "物流查询服务暂时响应慢，YT1234567890123 没查到，请稍后再试。"
UNREADABLE = "物流查询服务返回了无法识别的结果，YT1234567890123 暂时没查到，请稍后再试。"
NO_REASON = "物流查询服务没有给出 YT1234567890123 的结果（也没有说明原因），请核对单号后稍后再试。"
QUOTA = "查询次数已用完，暂时无法查询，请稍后再试（已通知管理员）。"


def _events(count: int) -> list[dict]:
    return [
        {"time": f"2026-01-{1 + n // 3600 % 28:02d} {n // 60 % 24:02d}:{n % 60:02d}:00",
         "content": f"【杭州市】快件已到达【杭州中转部】第 {n} 次"}
        for n in range(count)
    ]  # fmt: skip


def _states(stack) -> tuple[list[str], list[str]]:
    with stack.app.core.db.engine.connect() as conn:
        return (
            list(conn.execute(select(inbox.c.status)).scalars()),
            list(conn.execute(select(outbox.c.status)).scalars()),
        )


def _ask(stack) -> list[str]:
    """Post the recorded private message asking for YT; work it; the texts sent."""
    assert stack.telegram(recorded("telegram", "private.json")) == 200
    assert stack.upstream.requests == []  # the webhook answered before any upstream call
    assert stack.work() == 1
    assert _states(stack) == (["done"], ["sent"])  # nothing lost, nothing left behind
    return [params["text"] for params in stack.sent()]


#: A refusal is asked once more without the carrier code (the vendor's codes are its own).
ASKED_AGAIN_WITHOUT_CODE = 2


def _gateway(status: int, message: str):
    return lambda upstream: upstream.set_gateway_error(YT, status, message)


FAULTS = {
    "500": (_gateway(500, "Internal Server Error"), SLOW),
    "502": (_gateway(502, "Bad Gateway"), SLOW),
    "504": (_gateway(504, "Async Service"), SLOW),
    "666 with a reason": (
        lambda up: up.set_failure(YT, "查询失败，请联系快递公司客服电话"),
        "YT1234567890123 查询失败：查询失败，请联系快递公司客服电话",
        ASKED_AGAIN_WITHOUT_CODE,
    ),
    "666 without a body": (
        lambda up: up.set_response(YT, 666, b""), NO_REASON, ASKED_AGAIN_WITHOUT_CODE
    ),
    "666 with an empty object": (
        lambda up: up.set_response(YT, 666, {}), NO_REASON, ASKED_AGAIN_WITHOUT_CODE
    ),
    "403 quota": (lambda up: up.set_quota_exhausted(YT), QUOTA),
    "malformed JSON": (lambda up: up.set_malformed(YT), UNREADABLE),
    "HTML error page": (lambda up: up.set_malformed(YT, "<html>502</html>"), UNREADABLE),
    "JSON array": (lambda up: up.set_response(YT, 200, [1, 2]), UNREADABLE),
    "no ok, odd status": (
        lambda up: up.set_response(YT, 200, {"status": "weird", "data": _events(2)}),
        NO_REASON,
        ASKED_AGAIN_WITHOUT_CODE,
    ),
    "10 MB, declared": (
        lambda up: up.set_response(YT, 200, json.dumps(track_body(YT, 2, _events(100_000)))),
        UNREADABLE,
    ),
    "10 MB, chunked": (
        lambda up: up.set_streamed(YT, json.dumps(track_body(YT, 2, _events(100_000)))),
        UNREADABLE,
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_an_upstream_fault_gets_one_clear_reply_and_loses_nothing(stack, fault):
    script, expected, *asked = FAULTS[fault]
    script(stack.upstream)

    assert _ask(stack) == [expected]
    # kuaidi_retries=0 here: nothing is asked again but a refusal, once, without its code.
    assert len(stack.upstream.requests_for(YT)) == (asked[0] if asked else 1)


def test_a_timeout_is_retried_only_within_the_deadline(make_stack):
    stack = make_stack(kuaidi_timeout=1.0, kuaidi_retries=2, kuaidi_deadline=4.0)
    stack.upstream.set_response(YT, delay=30, body=track_body(YT))

    assert _ask(stack) == [SLOW]
    # Three attempts of 1 s each (plus backoff) do not fit a 4 s deadline; two at most do.
    assert 1 <= len(stack.upstream.requests_for(YT)) <= 2


def test_a_slow_drip_is_cut_at_the_deadline(make_stack):
    stack = make_stack(kuaidi_timeout=5.0, kuaidi_deadline=1.0)
    body = json.dumps(track_body(YT, 2, _events(3)), ensure_ascii=False)
    stack.upstream.set_streamed(YT, body, drip=0.05)  # ~25 s for the whole body

    assert _ask(stack) == [SLOW]
    assert len(stack.upstream.requests_for(YT)) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"ok": 1, "status": {"x": 1}, "kdmc": 5, "data": {"time": 1}},
        {"ok": "1", "status": None, "kdmc": None, "data": [1, "x", None, {"time": [], "x": 2}]},
    ],
    ids=["objects for scalars", "junk items"],
)
def test_wrong_field_types_make_a_card_that_says_so(stack, body):
    stack.upstream.set_response(YT, 200, body)

    [text] = _ask(stack)

    assert YT in text and "查询异常" in text and "暂无物流信息" in text


def test_an_odd_status_with_events_still_shows_them(stack):
    stack.upstream.set_response(YT, 200, {**track_body(YT, 2, _events(2)), "status": 99})

    [text] = _ask(stack)

    assert "查询异常" in text and "第 1 次" in text and "第 0 次" in text


def test_a_long_but_allowed_timeline_is_one_message_with_more_on_request(stack):
    stack.upstream.set_response(YT, 200, track_body(YT, 2, _events(5_000)))  # ~400 KB

    [text] = _ask(stack)

    assert "另有 4985 条更早的记录未显示" in text
    [keyboard] = [json.loads(p["reply_markup"]) for p in stack.sent()]
    actions = [b["callback_data"] for row in keyboard["inline_keyboard"] for b in row]
    assert f"history:{YT}:1" in actions
