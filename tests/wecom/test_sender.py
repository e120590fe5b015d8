"""Outbound against a fake WeCom API on 127.0.0.1: message/send, tokens, errors, secrets."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest

from adapters.wecom import WeComAdapter
from adapters.wecom.render import utf8_len
from bot.models import Reply, Target, TrackingCard, TrackingEvent
from bot.runtime.shared import DbTokenCache
from bot.storage import open_database
from tests.wecom.support import SECRET, MemoryTokenCache, make_settings

USER = Target("wecom", "zhangsan", "zhangsan", False)
SEND = "/cgi-bin/message/send"


def long_card() -> TrackingCard:
    events = tuple(
        TrackingEvent(
            datetime(2026, 1, 1, tzinfo=UTC), f"第{i}站：快件已到达分拣中心，准备发往下一站"
        )
        for i in range(70)
    )
    return TrackingCard("SF1", "shunfeng", "顺丰速运", "95338", 1, "运输中", "🚚", False, events)


def test_app_send_payload_and_one_token_for_many_messages(adapter, fake_api):
    sender = adapter.sender()
    results = [sender.send(USER, Reply(text=f"hello {i}"), f"k{i}") for i in range(3)]
    assert all(r.ok for r in results) and results[0].message_id == "msg-1"
    assert fake_api.gettoken_calls == 1
    payload = fake_api.sent(SEND)[0].body
    assert payload == {
        "touser": "zhangsan",
        "agentid": 1000002,
        "msgtype": "markdown",
        "markdown": {"content": "hello 0"},
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 1800,
    }
    assert fake_api.sent(SEND)[0].query["access_token"] == "TOKEN-1"


def test_plain_text_when_markdown_is_off(vectors, fake_api, tokens, urls):
    settings = make_settings(vectors, fake_api.base, wecom_markdown=False)
    adapter = WeComAdapter(settings, tokens, urls)
    assert adapter.sender().send(USER, Reply(text="**x**"), "k").ok
    assert fake_api.sent(SEND)[0].body["text"] == {"content": "**x**"}
    adapter.stop()


def test_long_card_goes_out_in_chunks_under_2048_bytes(adapter, fake_api):
    assert adapter.sender().send(USER, Reply(card=long_card()), "k").ok
    contents = [r.body["markdown"]["content"] for r in fake_api.sent(SEND)]
    assert len(contents) > 1 and all(utf8_len(c) <= 2048 for c in contents)
    assert sum(c.count("准备发往下一站") for c in contents) == 70


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"errcode": 45009, "errmsg": "api freq out of limit"}, dict(retry_after=60)),
        ({"errcode": 81013, "errmsg": "user & party & tag all invalid"}, dict(permanent=True)),
        ({"errcode": 0, "errmsg": "ok", "invaliduser": "zhangsan"}, dict(permanent=True)),
        ({"errcode": -1, "errmsg": "system busy"}, dict(permanent=False, retry_after=None)),
    ],
)
def test_app_errors_map_to_send_results(adapter, fake_api, answer, expected):
    fake_api.answers[SEND].append(answer)
    result = adapter.sender().send(USER, Reply(text="x"), "k")
    assert result.ok is False
    for name, value in expected.items():
        assert getattr(result, name) == value


@pytest.fixture(params=["memory", "database"])
def shared_tokens(request, clock, tmp_path):
    """One TokenCache shared by two senders: the test double, and the runtime's DB cache."""
    if request.param == "memory":
        yield MemoryTokenCache(clock)
        return
    db = open_database(f"sqlite:///{tmp_path / 'tokens.sqlite3'}")
    yield DbTokenCache(db, clock)
    db.dispose()


def test_expired_token_is_refreshed_once_by_two_concurrent_workers(
    vectors, fake_api, shared_tokens, urls
):
    settings = make_settings(vectors, fake_api.base)
    workers = [WeComAdapter(settings, shared_tokens, urls) for _ in range(2)]
    assert workers[0].sender().send(USER, Reply(text="warm-up"), "k0").ok
    fake_api.expire("TOKEN-1")
    fake_api.expired_barrier = threading.Barrier(2, timeout=5)
    results = []
    threads = [
        threading.Thread(target=lambda w=w, i=i: results.append(
            w.sender().send(Target("wecom", f"user{i}"), Reply(text=f"m{i}"), f"k{i}")))
        for i, w in enumerate(workers)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 2 and all(r.ok for r in results), results
    assert fake_api.gettoken_calls == 2  # the first fetch and ONE refresh
    assert not fake_api.expired_barrier.broken  # both really sent with the expired token
    retried = [r.query["access_token"] for r in fake_api.sent(SEND)[-2:]]
    assert retried == ["TOKEN-2", "TOKEN-2"]
    for worker in workers:
        worker.stop()


def test_secrets_never_reach_logs_or_errors(vectors, fake_api, tokens, urls, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # another test may have quietened it
    good = WeComAdapter(make_settings(vectors, fake_api.base), tokens, urls)
    assert good.sender().send(USER, Reply(text="x"), "k").ok
    robot = good.sender().send(
        Target("wecom", "robot:ROBOTKEY123", is_group=True), Reply(text="x"), "k"
    )
    assert robot.ok
    wrong = WeComAdapter(
        make_settings(vectors, fake_api.base, wecom_secret=SECRET + "-wrong"),
        MemoryTokenCache(),
        urls,
    )
    failed = wrong.sender().send(USER, Reply(text="x"), "k")
    offline = WeComAdapter(make_settings(vectors, "http://127.0.0.1:9"), MemoryTokenCache(), urls)
    unreachable = offline.sender().send(USER, Reply(text="x"), "k")
    assert not failed.ok and "40001" in failed.error
    assert not unreachable.ok and unreachable.error
    assert "gettoken" in caplog.text.lower() or "HTTP Request" in caplog.text  # httpx did log
    for secret in (SECRET, "TOKEN-1", "ROBOTKEY123"):
        assert secret not in caplog.text
        assert secret not in failed.error + unreachable.error
    for adapter in (good, wrong, offline):
        adapter.stop()
