"""Outbound: the sender against a fake Feishu open API on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json

import pytest

from adapters.feishu.client import FeishuApi, FeishuApiError
from adapters.feishu.sender import FEISHU_LIMITS, FeishuSender, send_uuid
from bot.models import Button, Reply, Target, TrackingCard
from bot.runtime.ports import RateLimit
from tests.feishu.support import MemoryTokenCache

GROUP = Target("feishu", "oc_group", "ou_sender", is_group=True)
PRIVATE = Target("feishu", "oc_p2p", "ou_sender")
MESSAGES = "/open-apis/im/v1/messages"
TOKEN_NAME = "feishu:tenant_access_token:cli_test"
CARD = TrackingCard("SF1", "shunfeng", "顺丰速运", "95338", 4, "已签收", "✅", True)


@pytest.fixture
def sender(adapter):
    return adapter.sender()


def test_limits():
    assert FEISHU_LIMITS.per_chat == RateLimit(5, 1.0)
    assert FEISHU_LIMITS.per_group == RateLimit(5, 1.0)
    assert FEISHU_LIMITS.overall == RateLimit(50, 1.0)


def test_group_answer_replies_to_the_askers_message(sender, fake_api):
    result = sender.send(GROUP, Reply(text="查询中 <at>", reply_to="om_ask"), "row-1")
    assert result.ok and result.message_id and result.message_id.startswith("om_sent")
    [call] = fake_api.calls("POST", f"{MESSAGES}/om_ask/reply")
    assert call["headers"]["authorization"] == "Bearer t-1"
    assert call["json"]["msg_type"] == "text"
    assert call["json"]["uuid"] == hashlib.sha1(b"row-1").hexdigest()[:32]
    assert "<\u200bat>" in json.loads(call["json"]["content"])["text"]
    assert fake_api.calls("POST", MESSAGES) == []


def test_push_creates_a_card_message_in_the_chat(sender, fake_api):
    reply = Reply(card=CARD, buttons=(Button("取消订阅", "unsub:SF1"),))
    assert sender.send(PRIVATE, reply, "row-2").ok
    [call] = fake_api.calls("POST", MESSAGES)
    assert call["query"] == {"receive_id_type": ["chat_id"]}
    assert call["json"]["receive_id"] == "oc_p2p"
    assert call["json"]["msg_type"] == "interactive"
    card = json.loads(call["json"]["content"])
    assert card["header"]["template"] == "green"
    button = card["elements"][-1]["actions"][0]
    assert button["value"] == {"action": "unsub:SF1", "chat_type": "p2p"}


def test_push_to_a_user_open_id(sender, fake_api):
    assert sender.send(Target("feishu", "ou_admin"), Reply(text="hi"), "row-3").ok
    [call] = fake_api.calls("POST", MESSAGES)
    assert call["query"] == {"receive_id_type": ["open_id"]}
    assert call["json"]["receive_id"] == "ou_admin"


def test_edit_patches_the_card_in_place(sender, fake_api):
    result = sender.send(GROUP, Reply(card=CARD, edit_of="om_card1", reply_to="om_x"), "row-4")
    assert (result.ok, result.message_id) == (True, "om_card1")
    [call] = fake_api.calls("PATCH", f"{MESSAGES}/om_card1")
    assert json.loads(call["json"]["content"])["header"]["template"] == "green"
    assert fake_api.calls("POST", f"{MESSAGES}.*") == []


def test_failed_edit_falls_back_to_a_new_message(sender, fake_api):
    fake_api.queue("PATCH", f"{MESSAGES}/om_old", 400, {"code": 230001, "msg": "invalid"})
    result = sender.send(GROUP, Reply(card=CARD, edit_of="om_old"), "row-5")
    assert result.ok and result.message_id != "om_old"
    assert len(fake_api.calls("POST", MESSAGES)) == 1


def test_reply_to_a_recalled_message_posts_in_the_chat(sender, fake_api):
    fake_api.queue("POST", f"{MESSAGES}/om_gone/reply", 400, {"code": 230011, "msg": "recalled"})
    assert sender.send(GROUP, Reply(text="x", reply_to="om_gone"), "row-6").ok
    [call] = fake_api.calls("POST", MESSAGES)
    assert call["json"]["uuid"] == send_uuid("row-6")


def test_token_is_cached_across_sends(sender, fake_api, tokens):
    for key in ("a", "b", "c"):
        assert sender.send(PRIVATE, Reply(text=key), key).ok
    assert tokens.fetches == 1
    assert len(fake_api.calls("POST", "/open-apis/auth/v3/tenant_access_token/internal")) == 1


def test_invalid_token_is_invalidated_and_retried_once(sender, fake_api, tokens):
    tokens.tokens[TOKEN_NAME] = "t-stale"  # e.g. revoked, still cached by another process
    assert sender.send(PRIVATE, Reply(text="x"), "row-7").ok
    assert tokens.invalidated == [(TOKEN_NAME, "t-stale")]
    sent = fake_api.calls("POST", MESSAGES)
    assert [c["headers"]["authorization"] for c in sent] == ["Bearer t-stale", "Bearer t-1"]


def test_persistently_invalid_token_is_retried_only_once(sender, fake_api, tokens):
    for _ in range(3):
        fake_api.queue("POST", MESSAGES, 400, {"code": 99991663, "msg": "invalid token"})
    result = sender.send(PRIVATE, Reply(text="x"), "row-8")
    assert not result.ok and "99991663" in result.error
    assert len(fake_api.calls("POST", MESSAGES)) == 2


@pytest.mark.parametrize(
    ("code", "retry_after", "permanent"),
    [(230020, 1.0, False), (230002, None, True), (230013, None, True), (230099, None, False)],
)
def test_error_codes_map_to_send_results(sender, fake_api, code, retry_after, permanent):
    fake_api.queue("POST", MESSAGES, 400, {"code": code, "msg": "no"})
    result = sender.send(PRIVATE, Reply(text="x"), "row-9")
    assert (result.ok, result.retry_after, result.permanent) == (False, retry_after, permanent)
    assert str(code) in result.error


def test_non_feishu_answer_raises_for_the_runtime_to_retry(sender, fake_api):
    fake_api.queue("POST", MESSAGES, 502, {"error": "bad gateway"})
    with pytest.raises(FeishuApiError):
        sender.send(PRIVATE, Reply(text="x"), "row-10")


def test_uuid_is_stable_and_short():
    assert send_uuid("outbox:42") == send_uuid("outbox:42") != send_uuid("outbox:43")
    assert len(send_uuid("x" * 500)) <= 50


def test_bad_app_secret_error_does_not_reveal_it(fake_api):
    api = FeishuApi("cli_test", "wrong-secret-value", MemoryTokenCache(), fake_api.base)
    with pytest.raises(FeishuApiError) as caught:
        FeishuSender(api).send(PRIVATE, Reply(text="x"), "row-11")
    assert "10014" in str(caught.value) and "wrong-secret-value" not in str(caught.value)
