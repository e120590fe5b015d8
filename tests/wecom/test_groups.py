"""Group channels: AI-bot replies through response_url, group robot pushes, the URL store."""

from __future__ import annotations

import pytest

from adapters.wecom import build_adapter, parse_group_robots
from adapters.wecom.response_urls import TokenCacheResponseUrls
from bot.models import Reply, Target
from bot.runtime.shared import DbTokenCache
from bot.storage import open_database
from tests.wecom.support import MemoryTokenCache, aibot_request, make_settings

GROUP = Target("wecom", "chat1", "zhangsan", True)
RESPONSE = "/cgi-bin/aibot/response"
WEBHOOK = "/cgi-bin/webhook/send"


def test_aibot_reply_goes_once_through_the_messages_response_url(adapter, fake_api, urls):
    urls.remember("chat1", "m1", fake_api.response_url("c1"))
    result = adapter.sender().send(GROUP, Reply(text="天气 <b>*", reply_to="m1"), "k1")
    assert result.ok
    [request] = fake_api.sent(RESPONSE)
    assert request.query == {"response_code": "c1"}
    assert request.body == {"msgtype": "markdown", "markdown": {"content": "天气 ‹b›∗"}}
    again = adapter.sender().send(GROUP, Reply(text="second", reply_to="m1"), "k2")
    assert not again.ok and again.permanent  # a response_url answers once
    assert len(fake_api.sent(RESPONSE)) == 1


def test_aibot_single_chat_reply_uses_the_chats_newest_message(adapter, fake_api, urls):
    urls.remember("aibot:lisi", "m1", fake_api.response_url("old"))
    urls.remember("aibot:lisi", "m2", fake_api.response_url("new"))
    target = Target("wecom", "aibot:lisi", "lisi", False)
    assert adapter.sender().send(target, Reply(text="hi"), "k").ok
    assert fake_api.sent(RESPONSE)[0].query == {"response_code": "new"}
    assert fake_api.sent("/cgi-bin/message/send") == []  # not the self-built app


def test_aibot_push_without_a_message_is_permanent(adapter, fake_api):
    result = adapter.sender().send(GROUP, Reply(text="update"), "k")
    assert not result.ok and result.permanent and "response_url" in result.error
    assert fake_api.requests == []


def test_group_push_goes_to_the_groups_robot(fake_api, vectors, urls, tokens):
    settings = make_settings(vectors, fake_api.base, wecom_group_robots="chat1=KEY9,x=y")
    adapter = build_adapter(settings, tokens)
    try:
        result = adapter.sender().send(GROUP, Reply(text="派送中", mentions=("zhangsan",)), "k")
        assert result.ok
        [request] = fake_api.sent(WEBHOOK)
        assert request.query == {"key": "KEY9"}
        assert "<@zhangsan>" in request.body["markdown"]["content"]
    finally:
        adapter.stop()
    with pytest.raises(ValueError):
        parse_group_robots("chat1KEY9")


def test_robot_push_respects_20_per_minute(adapter, fake_api, clock):
    target = Target("wecom", "robot:KEY1", "", True)
    sender = adapter.sender()
    assert all(sender.send(target, Reply(text=f"n{i}"), f"k{i}").ok for i in range(20))
    limited = sender.send(target, Reply(text="n20"), "k20")
    assert not limited.ok and 0 < limited.retry_after <= 60
    assert len(fake_api.sent(WEBHOOK)) == 20
    assert sender.send(Target("wecom", "robot:KEY2", "", True), Reply(text="x"), "o").ok
    clock.advance(61)
    assert sender.send(target, Reply(text="n20"), "k20").ok
    request = fake_api.sent(WEBHOOK)[0]
    assert request.query == {"key": "KEY1"}
    assert request.body == {"msgtype": "markdown", "markdown": {"content": "n0"}}


def test_robot_mentions_and_errors(adapter, fake_api):
    target = Target("wecom", "robot:KEY1", "", True)
    assert adapter.sender().send(target, Reply(text="到了", mentions=("zhangsan",)), "k").ok
    assert fake_api.sent(WEBHOOK)[0].body["markdown"]["content"] == "<@zhangsan>\n到了"
    fake_api.answers[WEBHOOK].append({"errcode": 93000, "errmsg": "invalid webhook url"})
    gone = adapter.sender().send(target, Reply(text="x"), "k2")
    assert not gone.ok and gone.permanent
    fake_api.answers[WEBHOOK].append({"errcode": 45009, "errmsg": "freq out of limit"})
    assert adapter.sender().send(target, Reply(text="x"), "k3").retry_after == 60


@pytest.fixture(params=["memory", "database"])
def token_cache(request, clock, tmp_path):
    if request.param == "memory":
        yield MemoryTokenCache(clock)
        return
    db = open_database(f"sqlite:///{tmp_path / 'urls.sqlite3'}")
    yield DbTokenCache(db, clock)
    db.dispose()


def test_token_cache_url_store(token_cache, clock):
    store = TokenCacheResponseUrls(token_cache)
    assert store.find("chat1", "m1") is None
    store.remember("chat1", "m1", "https://u/1")
    store.remember("chat1", "m1", "https://u/1-redelivered")  # a retry keeps the first URL
    store.remember("chat1", "m2", "https://u/2")
    assert store.find("chat1", "m1") == ("m1", "https://u/1")
    assert store.find("chat1", None) == ("m2", "https://u/2")
    store.spend("m2", "https://u/2")
    assert store.find("chat1", "m2") is None
    assert store.find("chat1", "m1") == ("m1", "https://u/1")
    clock.advance(3600)
    assert store.find("chat1", "m1") is None  # WeCom's one hour is over


def test_factory_end_to_end_webhook_to_response_url(vectors, fake_api, clock, inbox):
    from flask import Flask

    tokens = MemoryTokenCache(clock)
    adapter = build_adapter(make_settings(vectors, fake_api.base), tokens)
    app = Flask(__name__)
    app.register_blueprint(adapter.blueprint(inbox))
    payload = {
        "msgid": "m7", "aibotid": "bot1", "chatid": "chat7", "chattype": "group",
        "from": {"userid": "wangwu"}, "response_url": fake_api.response_url("c7"),
        "msgtype": "text", "text": {"content": "@MyBot SF1524097970481"},
    }  # fmt: skip
    query, body = aibot_request(vectors, payload)
    assert app.test_client().post("/wecom/aibot", query_string=query, json=body).status_code == 200
    [(_, message)] = inbox.accepted
    target = Target("wecom", message.chat_id, message.user_id, message.is_group)
    assert adapter.sender().send(target, Reply(text="ok", reply_to=message.message_id), "k").ok
    assert fake_api.sent(RESPONSE)[0].query == {"response_code": "c7"}
    adapter.stop()


def test_a_refused_aibot_answer_is_not_permanent(adapter, fake_api, urls):
    urls.remember("chat1", "m9", fake_api.response_url("c9"))
    fake_api.answers[RESPONSE].append({"errcode": -1, "errmsg": "system busy"})
    result = adapter.sender().send(GROUP, Reply(text="x", reply_to="m9"), "k")
    assert not result.ok and not result.permanent  # the group's subscriptions stay on


def test_a_retried_robot_reply_resumes_after_the_chunks_already_posted(adapter, fake_api):
    from bot.models import TrackingCard, TrackingEvent

    events = tuple(TrackingEvent(None, f"【杭州】第{i}站 " + "很长的描述" * 30) for i in range(40))
    card = TrackingCard("YT1", "yuantong", "圆通", "", 2, "运输中", "🚚", False, events)
    target = Target("wecom", "robot:KEY1", "", True)
    fake_api.answers[WEBHOOK].extend(
        [{"errcode": 0, "errmsg": "ok"}, {"errcode": -1, "errmsg": "busy"}]
    )
    first = adapter.sender().send(target, Reply(card=card), "row-1")
    assert not first.ok and not first.permanent
    posted_once = [r.body for r in fake_api.sent(WEBHOOK)]
    assert len(posted_once) == 2  # chunk 1 posted, chunk 2 refused
    assert adapter.sender().send(target, Reply(card=card), "row-1").ok
    bodies = [r.body for r in fake_api.sent(WEBHOOK)]
    assert bodies[2] == posted_once[1]  # the retry starts at the refused chunk
    assert bodies.count(posted_once[0]) == 1  # chunk 1 never shows twice


def test_robot_mentions_everyone_asked(adapter, fake_api):
    target = Target("wecom", "robot:KEY1", "", True)
    reply = Reply(text="到了", mentions=("zhangsan", "lisi"))
    assert adapter.sender().send(target, reply, "k").ok
    assert fake_api.sent(WEBHOOK)[0].body["markdown"]["content"] == "<@zhangsan> <@lisi>\n到了"
